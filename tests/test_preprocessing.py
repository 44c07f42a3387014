"""``ImageVectorizer``: the course's flatten-and-scale step as a transformer,
in a pipeline with the course's network, and under scikit-learn's checks."""

import os
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skdnn import DeepBinaryClassifier
from skdnn.datasets import load_catvnoncat
from skdnn.preprocessing import ImageVectorizer

IMAGES_MESSAGE = r"expects images of shape \(n_samples, height, width\[, channels\]\)"


def random_images(shape=(6, 4, 5, 3), seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=shape).astype(np.uint8)


# -- transform -------------------------------------------------------------------


def test_transform_is_the_course_flatten_and_scale():
    images = random_images()
    vectorizer = ImageVectorizer().fit(images)
    X = vectorizer.transform(images)

    assert vectorizer.image_shape_ == (4, 5, 3)
    assert vectorizer.n_features_in_ == 60
    assert X.shape == (6, 60) and X.dtype == np.float64
    np.testing.assert_array_equal(X, images.reshape(6, -1) * (1 / 255))
    # the course divides by 255; multiplying by 1/255 is at most 1 ulp away
    np.testing.assert_array_max_ulp(X, images.reshape(6, -1) / 255, maxulp=1)
    assert X.min() >= 0 and X.max() <= 1


def test_columns_are_row_major_pixels_named_after_them():
    images = random_images()
    vectorizer = ImageVectorizer(scale=1.0).fit(images)
    X = vectorizer.transform(images)
    names = vectorizer.get_feature_names_out()
    assert names.shape == (60,) and names.dtype == object
    assert list(names[:4]) == [
        "pixel_0_0_0",
        "pixel_0_0_1",
        "pixel_0_0_2",
        "pixel_0_1_0",
    ]
    for column, name in enumerate(names):
        row, col, channel = map(int, name.split("_")[1:])
        np.testing.assert_array_equal(X[:, column], images[:, row, col, channel])


def test_grayscale_images_have_no_channel_axis():
    images = random_images((3, 2, 4))
    vectorizer = ImageVectorizer().fit(images)
    assert vectorizer.image_shape_ == (2, 4) and vectorizer.n_features_in_ == 8
    assert vectorizer.transform(images).shape == (3, 8)
    assert list(vectorizer.get_feature_names_out()[:5]) == [
        "pixel_0_0",
        "pixel_0_1",
        "pixel_0_2",
        "pixel_0_3",
        "pixel_1_0",
    ]


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.uint8, np.float64),
        (np.int64, np.float64),
        (np.float16, np.float64),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
)
def test_output_dtype(dtype, expected):
    images = random_images().astype(dtype)
    X = ImageVectorizer(scale=0.5).fit_transform(images)
    assert X.dtype == expected
    np.testing.assert_allclose(X, images.reshape(6, -1).astype(expected) * 0.5)


def test_input_is_not_modified_and_output_is_a_new_array():
    images = random_images().astype(np.float64)
    before = images.copy()
    X = ImageVectorizer().fit_transform(images)
    np.testing.assert_array_equal(images, before)
    assert not np.shares_memory(X, images)


def test_accepts_lists_and_read_only_arrays():
    images = random_images()
    expected = ImageVectorizer().fit_transform(images)
    np.testing.assert_array_equal(
        ImageVectorizer().fit_transform(images.tolist()), expected
    )
    images.setflags(write=False)
    np.testing.assert_array_equal(ImageVectorizer().fit_transform(images), expected)


def test_fit_returns_self_is_idempotent_and_transform_changes_nothing():
    images = random_images()
    vectorizer = ImageVectorizer(scale=0.5)
    assert vectorizer.fit(images) is vectorizer
    first = vectorizer.transform(images)
    state = dict(vars(vectorizer))
    vectorizer.transform(images)
    assert vars(vectorizer) == state
    vectorizer.fit(images)
    np.testing.assert_array_equal(vectorizer.transform(images), first)
    assert vectorizer.get_params() == {"scale": 0.5}
    # a new fit forgets the old image shape
    assert vectorizer.fit(random_images((2, 3, 3))).image_shape_ == (3, 3)


def test_transform_of_a_subset_is_the_subset_of_the_transform():
    images = random_images()
    vectorizer = ImageVectorizer().fit(images)
    np.testing.assert_array_equal(
        vectorizer.transform(images[[4, 1]]), vectorizer.transform(images)[[4, 1]]
    )


def test_pandas_output_names_the_pixels():
    pytest.importorskip("pandas")
    images = random_images()
    df = ImageVectorizer().set_output(transform="pandas").fit_transform(images)
    assert list(df.columns[:2]) == ["pixel_0_0_0", "pixel_0_0_1"]
    assert df.shape == (6, 60)


# -- errors -----------------------------------------------------------------------


def test_flat_2d_input_is_rejected_with_a_hint():
    with pytest.raises(ValueError, match=IMAGES_MESSAGE) as excinfo:
        ImageVectorizer().fit(np.zeros((5, 12288)))
    assert "got an array with 2 dimensions, of shape (5, 12288)" in str(excinfo.value)
    assert "already flattened" in str(excinfo.value)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 5, 6)])
def test_other_numbers_of_dimensions_are_rejected(shape):
    with pytest.raises(ValueError, match=IMAGES_MESSAGE):
        ImageVectorizer().fit(np.zeros(shape))


def test_transform_rejects_images_of_another_shape():
    vectorizer = ImageVectorizer().fit(random_images((2, 64, 64, 3)))
    with pytest.raises(
        ValueError,
        match=r"images of shape \(32, 32, 3\), but ImageVectorizer was fitted on "
        r"images of shape \(64, 64, 3\)",
    ):
        vectorizer.transform(random_images((2, 32, 32, 3)))
    with pytest.raises(ValueError, match=IMAGES_MESSAGE):
        vectorizer.transform(np.zeros((2, 12288)))


def test_unfitted_transform_and_names_raise_not_fitted():
    with pytest.raises(NotFittedError):
        ImageVectorizer().transform(random_images())
    with pytest.raises(NotFittedError):
        ImageVectorizer().get_feature_names_out()


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_pixels_are_rejected(value):
    images = random_images().astype(float)
    images[0, 1, 2, 0] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        ImageVectorizer().fit(images)


@pytest.mark.parametrize("scale", [0, -1 / 255, "1/255"])
def test_invalid_scale_is_rejected(scale):
    with pytest.raises(ValueError, match="'scale' parameter of ImageVectorizer"):
        ImageVectorizer(scale=scale).fit(random_images())


def test_input_features_must_be_none():
    vectorizer = ImageVectorizer().fit(random_images())
    with pytest.raises(ValueError, match="input_features must be None"):
        vectorizer.get_feature_names_out(["a"] * 60)


def test_clone_and_pickle():
    images = random_images()
    vectorizer = ImageVectorizer(scale=0.25).fit(images)
    assert clone(vectorizer).get_params() == {"scale": 0.25}
    restored = pickle.loads(pickle.dumps(vectorizer))
    np.testing.assert_array_equal(
        restored.transform(images), vectorizer.transform(images)
    )


# -- in a pipeline with the course's network ------------------------------------------


def bright_and_dark_images(n=60, shape=(8, 8, 3), seed=0):
    """Class 1 pixels are in [128, 256), class 0 pixels in [0, 128)."""
    rng = np.random.RandomState(seed)
    y = rng.permutation(np.arange(n) % 2)
    images = rng.randint(0, 128, size=(n, *shape))
    images[y == 1] += 128
    return images.astype(np.uint8), y


def test_pipeline_fits_raw_images():
    images, y = bright_and_dark_images()
    clf = make_pipeline(
        ImageVectorizer(),
        DeepBinaryClassifier((6, 3), learning_rate=0.1, max_iter=300, random_state=1),
    )
    clf.fit(images[:40], y[:40])
    assert clf[-1].n_features_in_ == 8 * 8 * 3
    assert clf.score(images[:40], y[:40]) == 1.0
    assert clf.score(images[40:], y[40:]) == 1.0
    assert clf.predict_proba(images[40:]).shape == (20, 2)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.predict(random_images((3, 16, 16, 3)))


def test_pipeline_equals_classifier_on_flattened_images():
    """The pipeline is exactly the course's recipe: flatten, scale, fit."""
    images, y = bright_and_dark_images(n=30)
    params = dict(hidden_layer_sizes=(4,), learning_rate=0.1, max_iter=50)
    pipe = make_pipeline(
        ImageVectorizer(), DeepBinaryClassifier(**params, random_state=0)
    )
    pipe.fit(images, y)
    X = images.reshape(len(images), -1) * (1 / 255)
    alone = DeepBinaryClassifier(**params, random_state=0).fit(X, y)
    np.testing.assert_array_equal(pipe.predict_proba(images), alone.predict_proba(X))


def test_float32_images_train_in_float32():
    images, y = bright_and_dark_images(n=20)
    clf = make_pipeline(
        ImageVectorizer(), DeepBinaryClassifier((3,), max_iter=5, random_state=0)
    )
    clf.fit(images.astype(np.float32), y)
    assert clf[-1].coefs_[0].dtype == np.float32


def test_pipeline_on_raw_cat_images_gives_the_course_costs(catvnoncat, course_figures):
    """Multiplying by 1/255 instead of dividing by 255 moves some pixels by
    one ulp; the course's costs still come out to 1e-10 (skipped without
    ``$SKDNN_DATA``)."""
    cats = load_catvnoncat("all", data_home=os.environ["SKDNN_DATA"])
    train_images, y_train = cats.images[:209], cats.target[:209]
    clf = make_pipeline(ImageVectorizer(), DeepBinaryClassifier(random_state=1))
    clf.fit(train_images, y_train)
    for i, cost in course_figures["l_layer"]["costs"].items():
        assert clf[-1].loss_curve_[int(i)] == pytest.approx(cost, rel=1e-10, abs=0)
    assert clf.score(cats.images[209:], cats.target[209:]) == 0.8


# -- scikit-learn's estimator checks -------------------------------------------------


def test_tags_declare_image_input():
    tags = get_tags(ImageVectorizer())
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert tags.transformer_tags.preserves_dtype == ["float64", "float32"]

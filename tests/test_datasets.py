"""``load_catvnoncat``: the course's layout, where it looks and in which order,
and a clear error for every missing or damaged file. Most tests write tiny
files of the course's layout in ``tmp_path``; the real data is checked when
``$SKDNN_DATA`` points at it."""

import os
import shutil

import h5py
import numpy as np
import pytest

from skdnn.datasets import load_catvnoncat


def write_catvnoncat(home, subset, n_images, fill=0, **replace):
    """Write ``<home>/catvnoncat/<subset>_catvnoncat.h5`` with the course's
    keys: ``n_images`` uint8 images equal to ``fill`` and labels 0, 1, 0, ...
    ``replace`` overrides or (with ``None``) removes a key."""
    folder = home / "catvnoncat"
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        f"{subset}_set_x": np.full((n_images, 64, 64, 3), fill, dtype=np.uint8),
        f"{subset}_set_y": np.arange(n_images) % 2,
        "list_classes": np.array([b"non-cat", b"cat"]),
    }
    arrays.update(replace)
    path = folder / f"{subset}_catvnoncat.h5"
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            if value is not None:
                f[key] = value
    return path


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    """No ``$SKDNN_DATA`` and an empty home folder, whatever this machine has."""
    monkeypatch.delenv("SKDNN_DATA", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


# -- the course's layout --------------------------------------------------------


def test_reads_the_course_layout(tmp_path, no_data_anywhere):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(5, 64, 64, 3)).astype(np.uint8)
    images[0, 0, 0, 0], images[0, 0, 0, 1] = 0, 255
    path = write_catvnoncat(
        tmp_path, "train", 5, train_set_x=images, train_set_y=[1, 0, 0, 1, 1]
    )

    cats = load_catvnoncat(data_home=tmp_path)

    assert cats.images.dtype == np.uint8
    np.testing.assert_array_equal(cats.images, images)
    assert cats.data.dtype == np.float64 and cats.data.shape == (5, 12288)
    # the course's preprocessing, exactly (division, not multiplication)
    np.testing.assert_array_equal(cats.data, images.reshape(5, -1) / 255)
    assert cats.data.min() == 0.0 and cats.data.max() == 1.0
    assert cats.target.dtype == np.int64
    np.testing.assert_array_equal(cats.target, [1, 0, 0, 1, 1])
    np.testing.assert_array_equal(cats.target_names, ["non-cat", "cat"])
    assert cats.target_names.dtype.kind == "U"
    assert "catvnoncat" in cats.DESCR and "course" in cats.DESCR
    assert cats.filenames == [str(path)]


def test_return_X_y(tmp_path, no_data_anywhere):
    write_catvnoncat(tmp_path, "test", 3, fill=51)
    X, y = load_catvnoncat("test", data_home=tmp_path, return_X_y=True)
    assert X.shape == (3, 12288) and np.all(X == 0.2)
    np.testing.assert_array_equal(y, [0, 1, 0])


def test_all_is_train_then_test(tmp_path, no_data_anywhere):
    write_catvnoncat(tmp_path, "train", 3, fill=10)
    write_catvnoncat(tmp_path, "test", 2, fill=20)
    cats = load_catvnoncat("all", data_home=tmp_path)
    assert cats.images.shape == (5, 64, 64, 3)
    np.testing.assert_array_equal(cats.images[:, 0, 0, 0], [10, 10, 10, 20, 20])
    np.testing.assert_array_equal(cats.target, [0, 1, 0, 0, 1])
    assert [os.path.basename(name) for name in cats.filenames] == [
        "train_catvnoncat.h5",
        "test_catvnoncat.h5",
    ]


def test_invalid_subset_names_the_valid_ones(tmp_path, no_data_anywhere):
    with pytest.raises(ValueError, match="'train', 'test', 'all'; got 'valid'"):
        load_catvnoncat("valid", data_home=tmp_path)


# -- where it looks ---------------------------------------------------------------


def test_lookup_order_data_home_then_env_then_home(tmp_path, monkeypatch):
    data_home, env_home, user_home = (tmp_path / d for d in ("arg", "env", "user"))
    write_catvnoncat(data_home, "train", 2)
    write_catvnoncat(env_home, "train", 3)
    write_catvnoncat(user_home / "skdnn_data", "train", 4)
    monkeypatch.setenv("SKDNN_DATA", str(env_home))
    monkeypatch.setenv("HOME", str(user_home))

    # the number of images tells which file was read
    assert load_catvnoncat(data_home=data_home).images.shape[0] == 2
    assert load_catvnoncat().images.shape[0] == 3
    # a data_home without the file falls through to the next place
    assert load_catvnoncat(data_home=tmp_path / "empty").images.shape[0] == 3
    monkeypatch.delenv("SKDNN_DATA")
    assert load_catvnoncat().images.shape[0] == 4
    monkeypatch.setenv("SKDNN_DATA", "")  # set but empty: ignored
    assert load_catvnoncat().images.shape[0] == 4


def test_data_home_accepts_str_and_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SKDNN_DATA", raising=False)
    write_catvnoncat(tmp_path / "mydata", "train", 2)
    assert load_catvnoncat(data_home="~/mydata").images.shape[0] == 2


def test_all_needs_both_files_in_one_folder(tmp_path, monkeypatch, no_data_anywhere):
    write_catvnoncat(tmp_path / "arg", "train", 2)  # no test file here
    write_catvnoncat(tmp_path / "env", "train", 3)
    write_catvnoncat(tmp_path / "env", "test", 1)
    monkeypatch.setenv("SKDNN_DATA", str(tmp_path / "env"))
    assert load_catvnoncat("all", data_home=tmp_path / "arg").images.shape[0] == 4


@pytest.mark.parametrize(
    "subset, names",
    [
        ("train", ["train_catvnoncat.h5"]),
        ("all", ["train_catvnoncat.h5", "test_catvnoncat.h5"]),
    ],
)
def test_missing_files_list_every_place_looked(
    tmp_path, monkeypatch, no_data_anywhere, subset, names
):
    monkeypatch.setenv("SKDNN_DATA", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as excinfo:
        load_catvnoncat(subset, data_home=tmp_path / "arg")
    message = str(excinfo.value)
    places = [
        tmp_path / "arg" / "catvnoncat",
        tmp_path / "env" / "catvnoncat",
        no_data_anywhere / "skdnn_data" / "catvnoncat",
    ]
    positions = [message.index(str(place)) for place in places]
    assert positions == sorted(positions), "places must be listed in search order"
    for name in names:
        assert name in message
    assert "never downloads" in message


def test_missing_files_say_which_places_are_not_set(no_data_anywhere):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_catvnoncat("test")
    message = str(excinfo.value)
    assert "data_home: not given" in message
    assert "$SKDNN_DATA: not set" in message
    assert f"~/skdnn_data: {no_data_anywhere / 'skdnn_data' / 'catvnoncat'}" in message


# -- damaged files -----------------------------------------------------------------


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _replace_with_text(path):
    path.write_text("train_set_x,train_set_y\n1,0\n")


def _empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "damage, message",
    [
        (_truncate, "cannot be read as an HDF5 file"),
        (_replace_with_text, "cannot be read as an HDF5 file"),
        (_empty, "cannot be read as an HDF5 file"),
    ],
)
def test_unreadable_file_gives_value_error_naming_it(
    tmp_path, no_data_anywhere, damage, message
):
    path = write_catvnoncat(tmp_path, "train", 4)
    damage(path)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_catvnoncat(data_home=tmp_path)
    assert str(path) in str(excinfo.value)


@pytest.mark.parametrize(
    "replace, message",
    [
        ({"train_set_y": None}, "has no train_set_y"),
        ({"list_classes": None}, "has no list_classes"),
        (
            {"train_set_x": np.zeros((2, 64, 64), dtype=np.uint8)},
            r"train_set_x should be uint8 images of shape \(m, 64, 64, 3\); got "
            r"uint8 of shape \(2, 64, 64\)",
        ),
        (
            {"train_set_x": np.zeros((2, 32, 32, 3), dtype=np.uint8)},
            r"shape \(2, 32, 32, 3\)",
        ),
        (
            {"train_set_x": np.zeros((2, 64, 64, 3), dtype=np.float32)},
            r"got float32 of shape",
        ),
        ({"train_set_y": [0, 1, 1]}, r"should hold 2 integer labels .* shape \(3,\)"),
        ({"train_set_y": [[0, 1]]}, r"should hold 2 integer labels"),
        ({"train_set_y": [0.0, 1.0]}, r"got float64"),
        ({"train_set_y": [0, 2]}, r"labels outside 0..1"),
        ({"list_classes": np.array([[1, 2]])}, r"list_classes should be a 1-D"),
    ],
)
def test_damaged_contents_give_value_error_naming_file_and_problem(
    tmp_path, no_data_anywhere, replace, message
):
    path = write_catvnoncat(tmp_path, "train", 2, **replace)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_catvnoncat(data_home=tmp_path)
    assert str(path) in str(excinfo.value)


def test_array_that_is_a_group_is_reported(tmp_path, no_data_anywhere):
    path = write_catvnoncat(tmp_path, "train", 2, train_set_y=None)
    with h5py.File(path, "r+") as f:
        f.create_group("train_set_y")
    with pytest.raises(ValueError, match="train_set_y is a group, not an array"):
        load_catvnoncat(data_home=tmp_path)


def test_train_and_test_must_name_the_same_classes(tmp_path, no_data_anywhere):
    write_catvnoncat(tmp_path, "train", 2)
    write_catvnoncat(tmp_path, "test", 2, list_classes=np.array([b"dog", b"cat"]))
    with pytest.raises(ValueError, match=r"test_catvnoncat.h5 names its classes"):
        load_catvnoncat("all", data_home=tmp_path)


# -- the course's real files (skipped without $SKDNN_DATA) ---------------------------


def test_real_data_shapes_dtypes_and_range(catvnoncat):
    """Compared with the independent reading in conftest.py; the fixture
    skips with its reason when ``$SKDNN_DATA`` is not set."""
    X_train, y_train, X_test, y_test = catvnoncat
    data_home = os.environ["SKDNN_DATA"]

    train = load_catvnoncat("train", data_home=data_home)
    assert train.images.shape == (209, 64, 64, 3) and train.images.dtype == np.uint8
    assert train.data.shape == (209, 12288) and train.data.dtype == np.float64
    assert 0.0 <= train.data.min() and train.data.max() <= 1.0
    np.testing.assert_array_equal(train.data, X_train)
    np.testing.assert_array_equal(train.target, y_train)
    assert set(np.unique(train.target)) == {0, 1}
    np.testing.assert_array_equal(train.target_names, ["non-cat", "cat"])

    X, y = load_catvnoncat("test", data_home=data_home, return_X_y=True)
    assert X.shape == (50, 12288)
    np.testing.assert_array_equal(X, X_test)
    np.testing.assert_array_equal(y, y_test)

    both = load_catvnoncat("all", data_home=data_home)
    assert both.data.shape == (259, 12288)
    np.testing.assert_array_equal(both.data, np.concatenate([X_train, X_test]))
    np.testing.assert_array_equal(both.target, np.concatenate([y_train, y_test]))


def test_real_data_found_through_env(catvnoncat, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/skdnn_data to fall back on
    assert load_catvnoncat("test").data.shape == (50, 12288)


def test_truncated_copy_of_real_file(catvnoncat, tmp_path):
    # data_home comes first, so the damaged copy is found before the real file
    source = os.path.join(os.environ["SKDNN_DATA"], "catvnoncat", "test_catvnoncat.h5")
    path = tmp_path / "catvnoncat" / "test_catvnoncat.h5"
    path.parent.mkdir()
    shutil.copyfile(source, path)
    _truncate(path)
    with pytest.raises(ValueError, match="cannot be read as an HDF5 file"):
        load_catvnoncat("test", data_home=tmp_path)

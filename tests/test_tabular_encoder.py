"""``TabularEncoder``: a table of numbers and strings with missing values
(a CSV file) as the numbers a network takes. Kinds of columns, the one-hot
blocks, the documented missing-value rule, every refusal, and the same
output as scikit-learn's imputer and one-hot encoder."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skdnn import DeepClassifier
from skdnn.preprocessing import TabularEncoder


def mixed_frame():
    """Six rows of every kind of column a CSV file gives, with missing
    values in each."""
    return pd.DataFrame(
        {
            "age": [25.0, np.nan, 35.0, 50.0, 41.0, 29.0],
            "city": ["rome", "oslo", None, "rome", "lima", "oslo"],
            "rooms": [3, 1, 2, 2, 4, 1],
            "member": [True, False, True, True, False, False],
            "size": pd.Categorical(["s", "m", "l", np.nan, "m", "s"]),
            "visits": pd.array([1, pd.NA, 3, 4, 5, 6], dtype="Int64"),
        }
    )


def kinds(encoder):
    return encoder.numeric_columns_.tolist(), encoder.categorical_columns_.tolist()


# -- which columns are numbers ---------------------------------------------------


def test_dataframe_columns_are_numeric_by_dtype():
    X = mixed_frame().assign(
        text=pd.array(["a", pd.NA, "b", "a", "c", "b"], dtype="string"),
        digits=["1", "2", "3", "4", "5", "6"],  # object dtype: categorical
    )
    encoder = TabularEncoder().fit(X)
    # age, rooms, visits: numeric; city, member (bool), size (category),
    # text (string) and digits (object, even if its strings are numbers)
    assert kinds(encoder) == ([0, 2, 5], [1, 3, 4, 6, 7])
    assert encoder.n_features_in_ == 8
    assert encoder.feature_names_in_.tolist() == list(X.columns)
    assert encoder.numeric_columns_.dtype == np.int64
    assert encoder.categorical_columns_.dtype == np.int64
    assert encoder.fill_values_.dtype == np.float64
    assert [c.tolist() for c in encoder.categories_] == [
        ["lima", "oslo", "rome"],
        ["False", "True"],
        ["l", "m", "s"],
        ["a", "b", "c"],
        ["1", "2", "3", "4", "5", "6"],
    ]


def test_object_array_columns_are_numeric_when_every_value_is_a_number():
    X = np.array(
        [
            [1, "a", "2.5", True, None],
            [2.5, "b", "3", False, 7],
            [None, 3, np.nan, True, "x"],
        ],
        dtype=object,
    )
    encoder = TabularEncoder().fit(X)
    assert kinds(encoder) == ([0, 2], [1, 3, 4])
    assert not hasattr(encoder, "feature_names_in_")
    # values compared as str(value): 3 is the category "3"
    assert [c.tolist() for c in encoder.categories_] == [
        ["3", "a", "b"],
        ["False", "True"],
        ["7", "x"],
    ]
    np.testing.assert_array_equal(encoder.fill_values_, [1.75, 2.75])


@pytest.mark.parametrize(
    "X, expected",
    [
        (np.arange(6.0).reshape(3, 2), ([0, 1], [])),
        (np.arange(6).reshape(3, 2), ([0, 1], [])),
        (np.arange(6, dtype=np.uint8).reshape(3, 2), ([0, 1], [])),
        (np.array([[True, False], [False, True]]), ([], [0, 1])),
        (np.array([["1", "a"], ["2", "b"]]), ([0], [1])),  # a str array
        ([[1, "a"], [2, "b"]], ([0], [1])),  # a list: numpy makes it str
    ],
    ids=["float", "int", "uint8", "bool", "str", "list"],
)
def test_array_columns_by_dtype(X, expected):
    assert kinds(TabularEncoder().fit(X)) == expected


# -- the output --------------------------------------------------------------------


def test_one_hot_blocks_follow_the_numbers():
    X = np.array(
        [["b", 1.0, "x"], ["a", 2.0, "y"], ["c", 3.0, "x"], ["a", 6.0, "y"]],
        dtype=object,
    )
    encoder = TabularEncoder().fit(X)
    expected = [
        # x1, x0=a, x0=b, x0=c, x2=x, x2=y
        [1, 0, 1, 0, 1, 0],
        [2, 1, 0, 0, 0, 1],
        [3, 0, 0, 1, 1, 0],
        [6, 1, 0, 0, 0, 1],
    ]
    out = encoder.transform(X)
    assert out.dtype == np.float64 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)
    assert encoder.get_feature_names_out().tolist() == [
        "x1",
        "x0=a",
        "x0=b",
        "x0=c",
        "x2=x",
        "x2=y",
    ]


def test_numeric_columns_keep_their_input_order():
    X = pd.DataFrame(
        {"c": ["u", "v"], "z": [1.0, 2.0], "a": [3.0, 4.0], "b": ["p", "q"]}
    )
    encoder = TabularEncoder().fit(X)
    assert encoder.get_feature_names_out().tolist() == [
        "z",
        "a",
        "c=u",
        "c=v",
        "b=p",
        "b=q",
    ]
    np.testing.assert_array_equal(
        encoder.transform(X), [[1, 3, 1, 0, 1, 0], [2, 4, 0, 1, 0, 1]]
    )


def test_missing_numbers_get_the_training_mean():
    X = mixed_frame()
    encoder = TabularEncoder().fit(X)
    np.testing.assert_array_equal(
        encoder.fill_values_,
        [np.nanmean(X["age"]), X["rooms"].mean(), np.mean([1, 3, 4, 5, 6])],
    )
    new = pd.DataFrame(
        {
            "age": [np.nan, 60.0],
            "city": ["oslo", "oslo"],
            "rooms": [2, 5],
            "member": [True, True],
            "size": ["s", "s"],
            "visits": pd.array([pd.NA, 2], dtype="Int64"),
        }
    )
    out = encoder.transform(new)
    np.testing.assert_array_equal(out[:, 0], [encoder.fill_values_[0], 60.0])
    np.testing.assert_array_equal(out[:, 1], [2, 5])
    np.testing.assert_array_equal(out[:, 2], [encoder.fill_values_[2], 2.0])


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, np.float32("nan")])
def test_missing_and_unseen_categories_are_all_zeros(missing):
    train = np.array([["rome", 1.0], ["oslo", 2.0]], dtype=object)
    encoder = TabularEncoder().fit(train)
    out = encoder.transform(np.array([[missing, 1.0], ["paris", 2.0]], dtype=object))
    np.testing.assert_array_equal(out, [[1, 0, 0], [2, 0, 0]])


def test_missing_values_of_object_columns_in_fit():
    X = np.array([[None, "a"], [np.nan, pd.NA], [4.0, "b"], [pd.NaT, None]], object)
    encoder = TabularEncoder().fit(X)
    assert kinds(encoder) == ([0], [1])
    np.testing.assert_array_equal(encoder.fill_values_, [4.0])
    assert encoder.categories_[0].tolist() == ["a", "b"]
    np.testing.assert_array_equal(
        encoder.transform(X), [[4, 1, 0], [4, 0, 0], [4, 0, 1], [4, 0, 0]]
    )


def test_huge_values_have_a_finite_mean():
    encoder = TabularEncoder().fit([[1.5e308], [1.7e308]])
    assert np.isfinite(encoder.fill_values_).all()
    np.testing.assert_allclose(encoder.fill_values_, [1.6e308])


def test_feature_names_out():
    encoder = TabularEncoder().fit(mixed_frame())
    assert encoder.get_feature_names_out().tolist() == [
        "age",
        "rooms",
        "visits",
        "city=lima",
        "city=oslo",
        "city=rome",
        "member=False",
        "member=True",
        "size=l",
        "size=m",
        "size=s",
    ]
    names = encoder.get_feature_names_out(list(mixed_frame().columns))
    assert names.dtype == object and len(names) == 11
    with pytest.raises(ValueError, match="input_features is not equal"):
        encoder.get_feature_names_out(list("abcdef"))
    out = encoder.set_output(transform="pandas").transform(mixed_frame())
    assert out.columns.tolist() == encoder.get_feature_names_out().tolist()


def test_same_output_as_imputer_and_one_hot_encoder():
    """scikit-learn's mean imputer and one-hot encoder (unknown ignored) give
    the same columns. OneHotEncoder makes missing values a category of their
    own when fit sees them, so the training categories have none here; the
    new rows have missing and unseen ones."""
    rng = np.random.RandomState(0)
    n = 200
    train = pd.DataFrame(
        {
            "a": rng.standard_normal(n) * 10,
            "city": rng.choice(["rome", "oslo", "lima"], n),
            "b": rng.randint(0, 5, n).astype(float),
            "grade": rng.choice(list("xyzw"), n),
        }
    )
    train.loc[rng.rand(n) < 0.2, "a"] = np.nan
    train.loc[rng.rand(n) < 0.2, "b"] = np.nan
    new = train.sample(50, random_state=1).reset_index(drop=True)
    new.loc[:9, "city"] = None
    new.loc[10:19, "city"] = "paris"
    new.loc[20:29, "grade"] = np.nan
    reference = ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="mean"), ["a", "b"]),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["city", "grade"],
            ),
        ]
    ).fit(train)
    encoder = TabularEncoder().fit(train)
    for X in (train, new):
        np.testing.assert_array_equal(encoder.transform(X), reference.transform(X))
    one_hot = reference.named_transformers_["categories"]
    assert [c.tolist() for c in one_hot.categories_] == [
        c.tolist() for c in encoder.categories_
    ]


def test_in_a_pipeline_with_the_network_in_cross_validation():
    rng = np.random.RandomState(0)
    n = 120
    X = pd.DataFrame(
        {
            "x": rng.standard_normal(n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    y = np.where((X["colour"] == "red") | (X["x"] > 1), "yes", "no")
    X.loc[rng.rand(n) < 0.1, "x"] = np.nan
    X.loc[rng.rand(n) < 0.1, "colour"] = None
    model = make_pipeline(
        TabularEncoder(),
        StandardScaler(),
        DeepClassifier((8,), solver="lbfgs", max_iter=200, random_state=0),
    )
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.min() > 0.8, scores


def test_array_input_needs_no_pandas(tmp_path):
    """pandas is an optional dependency: with it unimportable, object arrays
    are still encoded."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["pandas"] = None  # import pandas now raises ImportError
        import numpy as np
        from skdnn.preprocessing import TabularEncoder
        X = np.array([[1.0, "a"], [None, "b"], [3.0, None]], dtype=object)
        print(TabularEncoder().fit_transform(X).tolist())
        """
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert result.stdout.strip() == str(
        [[1.0, 1.0, 0.0], [2.0, 0.0, 1.0], [3.0, 0.0, 0.0]]
    )


# -- refusals ------------------------------------------------------------------------


def test_infinite_numbers_are_refused_naming_the_column():
    with pytest.raises(ValueError, match="Column 1 of X holds infinite values"):
        TabularEncoder().fit(np.array([[1.0, 2.0], [3.0, np.inf]]))
    encoder = TabularEncoder().fit(np.array([[1.0, 2.0], [4.0, 3.0]]))
    with pytest.raises(ValueError, match="Column 0 of X holds infinite values"):
        encoder.transform(np.array([[np.inf, 2.0]]))


def test_an_integer_too_large_for_a_float_is_infinite():
    X = np.array([[1], [10**400]], dtype=object)
    with pytest.raises(ValueError, match="Column 0 of X holds infinite values"):
        TabularEncoder().fit(X)
    encoder = TabularEncoder().fit(X[:1])
    with pytest.raises(ValueError, match="Column 0 of X holds infinite values"):
        encoder.transform(-X)


def test_infinite_values_in_a_named_column_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0], "price": [3.0, -np.inf]})
    with pytest.raises(ValueError, match="Column 'price' of X holds infinite"):
        TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="Column 1 of X holds infinite"):
        TabularEncoder().fit(np.array([["a", 1], ["b", "-inf"]], dtype=object))
    encoder = TabularEncoder().fit(X.iloc[:1])
    with pytest.raises(ValueError, match="Column 'price' of X holds infinite"):
        encoder.transform(X)


@pytest.mark.parametrize(
    "column",
    [[np.nan, np.nan], [None, None], pd.array([pd.NA, pd.NA], dtype="Int64")],
    ids=["float", "object", "Int64"],
)
def test_a_numeric_column_with_no_values_is_refused(column):
    X = pd.DataFrame({"a": [1.0, 2.0], "empty": column})
    if isinstance(column, list) and column[0] is None:
        X = X.to_numpy(dtype=object)  # an array: its object column is numeric
        match = "Column 1 of X has no values at all"
    else:
        match = "Column 'empty' of X has no values at all"
    with pytest.raises(ValueError, match=match + r".*drop the column"):
        TabularEncoder().fit(X)


def test_a_categorical_column_with_no_values_is_refused():
    X = pd.DataFrame({"a": [1.0, 2.0], "empty": pd.Series([None, None], dtype=object)})
    with pytest.raises(ValueError, match="Column 'empty' of X has no values at all"):
        TabularEncoder().fit(X)


def test_too_many_categories_are_refused_with_the_remedy():
    X = pd.DataFrame({"a": np.arange(150.0), "id": [f"user{i}" for i in range(150)]})
    message = (
        r"Column 'id' of X has 150 distinct values, more than max_categories=100"
        r".*Drop the column .*or raise max_categories \(None for no limit\)"
    )
    with pytest.raises(ValueError, match=message):
        TabularEncoder().fit(X)
    assert len(TabularEncoder(max_categories=150).fit(X).categories_[0]) == 150
    assert len(TabularEncoder(max_categories=None).fit(X).categories_[0]) == 150
    with pytest.raises(ValueError, match="has 3 distinct values"):
        TabularEncoder(max_categories=2).fit([["a"], ["b"], ["c"], ["a"]])


@pytest.mark.parametrize("value", [0, -1, 2.5, "10"])
def test_invalid_max_categories_is_refused(value):
    with pytest.raises(InvalidParameterError, match="max_categories"):
        TabularEncoder(max_categories=value).fit([["a"]])


def test_a_number_column_given_words_at_transform_is_refused():
    encoder = TabularEncoder().fit(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    X = pd.DataFrame({"a": ["1.5", "lots"], "b": ["x", "z"]})
    with pytest.raises(ValueError, match="Column 'a' of X holds 'lots', which is not"):
        encoder.transform(X)
    X["a"] = [True, False]
    with pytest.raises(ValueError, match="Column 'a' of X holds True"):
        encoder.transform(X)
    # numbers as strings are numbers
    np.testing.assert_array_equal(
        encoder.transform(X.assign(a=["1.5", None])), [[1.5, 1, 0], [1.5, 0, 0]]
    )


def test_wrong_columns_at_transform_are_refused():
    X = mixed_frame()
    encoder = TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        encoder.transform(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        encoder.transform(X.rename(columns={"age": "years"}))
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- age"):
        encoder.transform(X.drop(columns="age"))
    array_encoder = TabularEncoder().fit(X.to_numpy(dtype=object))
    with pytest.raises(ValueError, match="X has 3 features, but TabularEncoder is"):
        array_encoder.transform(X.to_numpy(dtype=object)[:, :3])


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([1.0, 2.0]), "Expected 2D array, got 1D array"),
        (np.zeros((0, 3)), "0 sample"),
        (pd.DataFrame({"a": []}), r"DataFrame of shape \(0, 1\)"),
        (pd.DataFrame(index=[0, 1]), r"DataFrame of shape \(2, 0\)"),
        (np.array([[1 + 2j, 1.0]]), "Complex data not supported"),
        (pd.DataFrame({"z": [1 + 2j]}), "Complex data not supported: column 'z'"),
    ],
    ids=[
        "1d",
        "no-rows",
        "frame-no-rows",
        "frame-no-columns",
        "complex",
        "frame-complex",
    ],
)
def test_what_is_not_a_table_is_refused(X, match):
    with pytest.raises(ValueError, match=match):
        TabularEncoder().fit(X)


def test_a_refused_fit_leaves_the_encoder_as_it_was():
    encoder = TabularEncoder().fit(mixed_frame())
    before = {k: v for k, v in vars(encoder).items()}
    with pytest.raises(ValueError, match="infinite"):
        encoder.fit(np.array([[np.inf, 1.0, 2.0]]))
    assert vars(encoder).keys() == before.keys()
    assert encoder.n_features_in_ == 6
    assert encoder.feature_names_in_ is before["feature_names_in_"]
    assert encoder.numeric_columns_ is before["numeric_columns_"]

"""The course's data sets, read from local files (nothing is ever downloaded).

The course's first programming assignments train logistic regression and an
L-layer network to tell cat pictures from other pictures. Their data,
``catvnoncat``, is two HDF5 files that the course hands out with the notebooks;
:func:`load_catvnoncat` reads them from a folder on this machine.
"""

import os
from pathlib import Path

import h5py
import numpy as np
from sklearn.utils import Bunch

#: Height, width and channels of every catvnoncat image.
IMAGE_SHAPE = (64, 64, 3)

#: The folder under each data home that holds the catvnoncat files.
CATVNONCAT_FOLDER = "catvnoncat"

SUBSETS = ("train", "test", "all")

DESCR = """\
catvnoncat: the cat / non-cat images of the deep-learning course
-----------------------------------------------------------------

The data set of the course's first programming assignments ("Logistic
Regression with a Neural Network mindset" and "Deep Neural Network for Image
Classification: Application", Deep Learning Specialization by Andrew Ng,
course 1). Each sample is a 64 x 64 RGB picture labelled 1 (cat) or 0
(non-cat).

- train: 209 images (train_catvnoncat.h5, keys train_set_x, train_set_y)
- test: 50 images (test_catvnoncat.h5, keys test_set_x, test_set_y)
- classes: list_classes = [b'non-cat', b'cat']

``data`` is the course's preprocessing, ``images.reshape(m, -1) / 255``: one
row of 64 * 64 * 3 = 12288 values in [0, 1] per image, pixels in row-major
order (row, column, channel). The files come with the course notebooks;
skdnn reads them from disk and never downloads them.
"""


def _data_homes(data_home):
    """The places searched for data, in order, as ``(origin, folder)`` pairs:
    ``data_home``, ``$SKDNN_DATA`` and ``~/skdnn_data``. ``folder`` is None
    for a place that is not set."""
    env = os.environ.get("SKDNN_DATA")
    return [
        ("data_home", None if data_home is None else Path(data_home).expanduser()),
        ("$SKDNN_DATA", Path(env).expanduser() if env else None),
        ("~/skdnn_data", Path("~/skdnn_data").expanduser()),
    ]


def _find_catvnoncat(file_names, data_home):
    """The first ``<home>/catvnoncat`` folder that holds all ``file_names``."""
    places = []
    for origin, home in _data_homes(data_home):
        if home is None:
            unset = "not given" if origin == "data_home" else "not set"
            places.append(f"  - {origin}: {unset}")
            continue
        folder = home / CATVNONCAT_FOLDER
        if all((folder / name).is_file() for name in file_names):
            return folder
        places.append(f"  - {origin}: {folder}")
    places = "\n".join(places)
    raise FileNotFoundError(
        f"The catvnoncat data ({', '.join(file_names)}) was not found. "
        f"Looked in, in this order:\n{places}\n"
        "Put the course's files in one of these folders: pass data_home=, set "
        "the SKDNN_DATA environment variable, or use ~/skdnn_data. skdnn never "
        "downloads data."
    )


def _read_subset(path, subset):
    """Read and check one catvnoncat file: ``(images, target, class_names)``."""
    x_key, y_key = f"{subset}_set_x", f"{subset}_set_y"
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in (x_key, y_key, "list_classes") if k not in f]
            if missing:
                raise ValueError(
                    f"{path} is not a valid catvnoncat file: it has no "
                    f"{', '.join(missing)} (it holds: {', '.join(sorted(f)) or '-'})."
                )
            arrays = {}
            for key in (x_key, y_key, "list_classes"):
                if not isinstance(f[key], h5py.Dataset):
                    raise ValueError(
                        f"{path} is not a valid catvnoncat file: {key} is a "
                        "group, not an array."
                    )
                arrays[key] = f[key][()]
    except OSError as exc:
        raise ValueError(
            f"{path} cannot be read as an HDF5 file (is it truncated, or not "
            f"the course's catvnoncat file?): {exc}"
        ) from exc

    images, target, classes = arrays[x_key], arrays[y_key], arrays["list_classes"]

    def invalid(what):
        return ValueError(f"{path} is not a valid catvnoncat file: {what}.")

    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise invalid(
            f"{x_key} should be uint8 images of shape (m, 64, 64, 3); got "
            f"{images.dtype} of shape {images.shape}"
        )
    if target.shape != (images.shape[0],) or target.dtype.kind not in "iub":
        raise invalid(
            f"{y_key} should hold {images.shape[0]} integer labels (one per "
            f"image in {x_key}); got {target.dtype} of shape {target.shape}"
        )
    if classes.ndim != 1 or classes.dtype.kind not in "SUO":
        raise invalid(
            "list_classes should be a 1-D array of class names; got "
            f"{classes.dtype} of shape {classes.shape}"
        )
    class_names = np.array(
        [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in classes]
    )
    if target.size and not (0 <= target.min() and target.max() < len(class_names)):
        raise invalid(
            f"{y_key} has labels outside 0..{len(class_names) - 1}, the indices "
            f"of list_classes {class_names.tolist()}"
        )
    return images, target.astype(np.int64), class_names


def load_catvnoncat(subset="train", *, data_home=None, return_X_y=False):
    """Load the course's cat / non-cat images from local HDF5 files.

    The files ``train_catvnoncat.h5`` and ``test_catvnoncat.h5`` are looked
    for in the folder ``catvnoncat/`` under, in this order: ``data_home``,
    the ``SKDNN_DATA`` environment variable, and ``~/skdnn_data``. The first
    folder that holds the requested files is used. Nothing is downloaded.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which images to load: the 209 training images, the 50 test images, or
        both (training images first, then test images).
    data_home : str or path-like, default=None
        A folder searched before ``$SKDNN_DATA`` and ``~/skdnn_data``; the
        files are read from its ``catvnoncat/`` subfolder.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (n_samples, 12288), dtype float64
            The course's preprocessing ``images.reshape(m, -1) / 255``,
            values in [0, 1].
        images : ndarray of shape (n_samples, 64, 64, 3), dtype uint8
            The raw RGB pictures.
        target : ndarray of shape (n_samples,), dtype int64
            1 for a cat, 0 otherwise.
        target_names : ndarray of shape (2,)
            The class names, ``array(['non-cat', 'cat'])``.
        filenames : list of str
            The files read.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The arrays ``data`` and ``target`` described above, without the Bunch.

    Raises
    ------
    FileNotFoundError
        If no searched folder has the files; the message lists every folder
        searched and the file names expected.
    ValueError
        If ``subset`` is not valid, or a file is damaged (not HDF5, truncated,
        missing arrays, wrong shapes or dtypes); the message names the file.

    See Also
    --------
    skdnn.preprocessing.ImageVectorizer : Flattens and scales raw images.
    skdnn.LogisticRegressionGD : The course's first model for this data.
    skdnn.DeepBinaryClassifier : The course's L-layer model for this data.

    Examples
    --------
    With the course's files in ``~/skdnn_data/catvnoncat/``:

    >>> from skdnn.datasets import load_catvnoncat
    >>> X, y = load_catvnoncat("train", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((209, 12288), (209,))

    A runnable example on a tiny file of the same layout:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import h5py
    >>> import numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name) / "catvnoncat"
    >>> folder.mkdir()
    >>> with h5py.File(folder / "test_catvnoncat.h5", "w") as f:
    ...     f["test_set_x"] = np.full((4, 64, 64, 3), 255, dtype=np.uint8)
    ...     f["test_set_y"] = np.array([0, 1, 1, 0])
    ...     f["list_classes"] = np.array([b"non-cat", b"cat"])
    >>> cats = load_catvnoncat("test", data_home=tmp.name)
    >>> cats.data.shape, cats.data.max(), cats.images.shape
    ((4, 12288), np.float64(1.0), (4, 64, 64, 3))
    >>> cats.target_names[cats.target]
    array(['non-cat', 'cat', 'cat', 'non-cat'], dtype='<U7')
    >>> tmp.cleanup()
    """
    if subset not in SUBSETS:
        raise ValueError(
            f"subset must be one of {', '.join(map(repr, SUBSETS))}; got {subset!r}."
        )
    parts = ("train", "test") if subset == "all" else (subset,)
    file_names = [f"{part}_catvnoncat.h5" for part in parts]
    folder = _find_catvnoncat(file_names, data_home)

    images, target, class_names = [], [], None
    for part, name in zip(parts, file_names, strict=True):
        part_images, part_target, part_names = _read_subset(folder / name, part)
        if class_names is not None and not np.array_equal(class_names, part_names):
            raise ValueError(
                f"{folder / name} names its classes {part_names.tolist()}, but "
                f"{folder / file_names[0]} names them {class_names.tolist()}."
            )
        class_names = part_names
        images.append(part_images)
        target.append(part_target)
    images = np.concatenate(images)
    target = np.concatenate(target)
    data = images.reshape(images.shape[0], -1) / 255

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=class_names,
        filenames=[str(folder / name) for name in file_names],
        DESCR=DESCR,
    )

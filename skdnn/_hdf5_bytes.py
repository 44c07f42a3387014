"""Checks of an HDF5 file's own bytes, for what HDF5 does not check itself.

HDF5 trusts some numbers of a file before it can know they are wrong, and a
damaged or hostile file makes it misbehave where h5py cannot step in:

- a global heap collection (where variable-length strings live) with an
  object of size 0 makes HDF5 2.0 loop forever when it loads the collection;
- a variable-length string whose stored length is damaged makes HDF5
  allocate (and fill) that length, up to 4 GiB, before it reads the heap.

:class:`RawFile` reads the file's bytes with ``mmap`` and checks, before
HDF5 reads them, the superblock, every global heap collection (walked as
HDF5 walks it) and every variable-length string reference (length, heap
collection and index: the heap object must exist and have exactly that
length), in attributes and in datasets. Only the layout :mod:`h5py` writes by
default is understood (superblock version 0 to 3 with 8-byte addresses and
lengths, version-1 object headers, compact attributes); anything else is
refused. Every problem raises :class:`DamagedFile`.
"""

import mmap

#: The first 8 bytes of an HDF5 file.
SIGNATURE = b"\x89HDF\r\n\x1a\n"

_HEAP = b"GCOL"
_OBJECT_HEADER = 16  # bytes before an object of a global heap collection
_REFERENCE = 16  # a variable-length element on disk: length, heap, index
_MAX_BLOCKS = 64  # object header continuation blocks followed
_MAX_MESSAGES = 4096  # messages read in one object header

_CONTINUATION, _ATTRIBUTE = 0x10, 0x0C
_VLEN = 9


class DamagedFile(ValueError):
    """The file's bytes are not what HDF5 may safely read."""


def _number(data, offset, size):
    """The little-endian unsigned integer of ``size`` bytes at ``offset``;
    bytes past the end of the file read as zeros, as HDF5 reads them."""
    return int.from_bytes(data[offset : offset + size], "little")


class RawFile:
    """The bytes of one open HDF5 file, checked as the module docstring says.

    Parameters
    ----------
    file : file object
        The file, open for reading in binary mode; it must not be empty.
    """

    def __init__(self, file):
        self.data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self.size = len(self.data)
        self.heaps = {}

    def close(self):
        self.data.close()

    def check(self):
        """Check the superblock and every global heap collection."""
        data = self.data
        version = _number(data, 8, 1)
        sizes = data[13:15] if version in (0, 1) else data[9:11]
        if data[:8] != SIGNATURE or sizes != b"\x08\x08":
            raise DamagedFile(
                "it does not start with an HDF5 superblock of 8-byte addresses "
                "and lengths, as save_model writes"
            )
        budget = self.size // _OBJECT_HEADER + 1024  # more than fit in the file
        start = data.find(_HEAP)
        while start != -1:
            budget = self._read_heap(start, budget)
            start = data.find(_HEAP, start + 1)

    def _read_heap(self, start, budget):
        """Walk the global heap collection at byte ``start`` as HDF5 does,
        each step one object (at least its 16-byte header) inside the
        collection; record the size of each object. Returns what is left of
        ``budget``, the objects that may still be walked."""
        if self.data[start + 4 : start + 5] != b"\x01":
            return budget  # HDF5 reads only version 1; it refuses the others
        total = _number(self.data, start + 8, 8)
        where = f"its global heap collection at byte {start}"
        if start + total > self.size:
            raise DamagedFile(
                f"{where} runs past the end of the file (is it truncated or "
                "incompletely copied?)"
            )
        objects, offset = {}, _OBJECT_HEADER
        while offset + _OBJECT_HEADER <= total:
            budget -= 1
            if budget < 0:
                raise DamagedFile("it has too many global heap objects")
            index = _number(self.data, start + offset, 2)
            size = _number(self.data, start + offset + 8, 8)
            step = size if index == 0 else _OBJECT_HEADER + (size + 7) // 8 * 8
            if step < _OBJECT_HEADER or offset + step > total:
                raise DamagedFile(f"{where} has an object of impossible size {size}")
            if index:
                objects[index] = size
            offset += step
        self.heaps[start] = objects
        return budget

    def check_references(self, offset, count, where):
        """Check the ``count`` variable-length string references stored at
        byte ``offset``: each names an object of its own length in a global
        heap collection of the file (or is empty)."""
        if offset + count * _REFERENCE > self.size:
            raise DamagedFile(f"{where} has its data past the end of the file")
        for element in range(count):
            position = offset + element * _REFERENCE
            length = _number(self.data, position, 4)
            heap = _number(self.data, position + 4, 8)
            index = _number(self.data, position + 12, 4)
            if length and self.heaps.get(heap, {}).get(index) != length:
                raise DamagedFile(
                    f"{where} refers to a string of {length} bytes that the "
                    "file does not hold"
                )

    def check_attributes(self, address, where):
        """Check the variable-length string references of the attributes in
        the (version 1) object header at byte ``address``."""
        data = self.data
        if _number(data, address, 1) != 1:
            raise DamagedFile(f"{where} does not have a version-1 object header")
        blocks = [(address + 16, _number(data, address + 8, 4))]
        budget = _MAX_MESSAGES
        for _ in range(_MAX_BLOCKS):
            if not blocks:
                return
            start, length = blocks.pop()
            if start + length > self.size:
                raise DamagedFile(f"the object header of {where} runs past the file")
            offset = start
            while offset + 8 <= start + length:
                budget -= 1
                if budget < 0:
                    raise DamagedFile(f"the object header of {where} is too long")
                kind, size = _number(data, offset, 2), _number(data, offset + 2, 2)
                flags, body = _number(data, offset + 4, 1), offset + 8
                if kind == _CONTINUATION:
                    blocks.append((_number(data, body, 8), _number(data, body + 8, 8)))
                elif kind == _ATTRIBUTE:
                    self._check_attribute(body, size, flags, where)
                offset = body + size
        raise DamagedFile(f"the object header of {where} has too many blocks")

    def _check_attribute(self, body, size, flags, where):
        """Check one attribute message of ``size`` bytes at byte ``body``."""
        data = self.data
        version = _number(data, body, 1)
        if version not in (1, 2, 3) or flags & 0x02:  # 0x02: a shared message
            raise DamagedFile(f"{where} has an attribute HDF5 cannot read safely")
        pad = (lambda n: (n + 7) // 8 * 8) if version == 1 else (lambda n: n)
        name, datatype, dataspace = (_number(data, body + at, 2) for at in (2, 4, 6))
        start = body + 8 + (version == 3)
        datatype_at = start + pad(name)
        values_at = datatype_at + pad(datatype) + pad(dataspace)
        if version > 1 and _number(data, body + 1, 1) & 0x03:  # shared type, space
            raise DamagedFile(f"{where} has an attribute HDF5 cannot read safely")
        if _number(data, datatype_at, 1) & 0x0F != _VLEN:
            return
        if _number(data, datatype_at + 1, 1) & 0x0F != 1:
            raise DamagedFile(f"{where} has a variable-length attribute, not a string")
        dataspace_at = datatype_at + pad(datatype)
        dims_at = dataspace_at + (8 if _number(data, dataspace_at, 1) == 1 else 4)
        count = 1
        for dim in range(_number(data, dataspace_at + 1, 1)):
            count *= _number(data, dims_at + 8 * dim, 8)
        if values_at + count * _REFERENCE > body + size:
            raise DamagedFile(f"{where} has an attribute larger than its message")
        self.check_references(values_at, count, where)

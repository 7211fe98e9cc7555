"""Winnow's own PyInstaller hook for pyarrow, used instead of the contributed one (``hookspath`` wins).

The contributed hook collects every pyarrow module and library — Flight, Gandiva, S3/GCS/Azure/HDFS
file systems, ORC, Substrait, the C++ test module — about 170 MB. Winnow only reads Parquet
(``app/formats/parquet_table.py``: ``pyarrow.parquet``), so this hook names the Cython modules
``pyarrow.parquet`` reaches at run time (PyInstaller cannot see imports made by compiled Cython code);
the Arrow and Parquet libraries they link come along as their dependencies. The self-test reads a
Parquet file, so a module missing here fails it.
"""

hiddenimports = [
    "pyarrow.lib",
    "pyarrow._compute",  # pyarrow.lib calls into compute for casts and filters
    "pyarrow._parquet",
    "pyarrow._fs",  # pq.ParquetFile resolves paths through pyarrow.fs
    "pyarrow._dataset",  # pq.read_table goes through pyarrow.dataset when it is there
    "pyarrow._dataset_parquet",
    "pyarrow._acero",  # pyarrow._dataset's scanner needs Acero
    "pyarrow._json",  # pyarrow.lib registers its readers' option types at import
    "pyarrow._csv",
    "pyarrow.vendored.version",
]

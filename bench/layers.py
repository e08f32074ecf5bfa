"""Shared by the bench scripts' image generators (imported with bench/ on sys.path)."""
import io
import tarfile


def write_tar(fileobj, files):
    """Writes a PAX tar of files, (name, bytes, mode) triples, to fileobj as a stream, with an
    entry for every parent directory before its first file and a fixed mtime."""
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for name, data, mode in files:
            parts = name.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                d = "/".join(parts[:k])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 1700000000
                    t.addfile(ti)
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode; ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))

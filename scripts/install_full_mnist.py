"""Install a full MNIST copy (the four IDX files, gzipped or not) into the course's data directory.

    python scripts/install_full_mnist.py /path/to/mnist [DEST]

DEST defaults to $COURSE_DATA_DIR or ~/.cache/course_data. The files land in
DEST/MNIST/raw/, where ``torchvision.datasets.MNIST(DEST)`` and
``course_utils.load_mnist`` find them. Their MD5 is checked against MNIST's.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course_utils.bundle import data_dir  # noqa: E402
from course_utils.mnist import MNIST_MD5 as MD5  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    dest = (Path(sys.argv[2]) if len(sys.argv) > 2 else data_dir()) / "MNIST" / "raw"
    dest.mkdir(parents=True, exist_ok=True)
    for name, md5 in MD5.items():
        gz, plain = src / f"{name}.gz", src / name
        if not gz.is_file() and not plain.is_file():
            sys.exit(f"neither {gz} nor {plain} exists")
        with gzip.open(gz) if gz.is_file() else open(plain, "rb") as fin, open(dest / name, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        if hashlib.md5((dest / name).read_bytes()).hexdigest() != md5:
            sys.exit(f"{dest / name} does not have MNIST's MD5 {md5}: the source file is corrupt")
        print(f"installed {dest / name}")


if __name__ == "__main__":
    main()

"""Package layout: the code lives in app/; the top-level resources/ ships as quantumflux.resources and the
sample data (data/sample/, shown on a first run) as quantumflux.sample_data. Their sub-folders are listed
as data packages so every file is installed (and setuptools has nothing to warn about)."""

from pathlib import Path

from setuptools import find_packages, setup

DATA_PACKAGES = {"quantumflux.resources": "resources", "quantumflux.sample_data": "data/sample"}


def _data_packages() -> dict[str, str]:
    found = {}
    for package, folder in DATA_PACKAGES.items():
        found[package] = folder
        for sub in sorted(p for p in Path(folder).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
            relative = sub.relative_to(folder)
            found[".".join([package, *relative.parts])] = str(Path(folder, relative))
    return found


DATA = _data_packages()

setup(
    packages=[*find_packages("app"), *DATA],
    package_dir={"": "app", **DATA},
    package_data={name: ["*"] for name in DATA},
    include_package_data=True,
)

"""Package layout: the code lives in app/, the top-level resources/ ships as quantumflux.resources."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("app"), "quantumflux.resources"],
    package_dir={"": "app", "quantumflux.resources": "resources"},
    package_data={"quantumflux.resources": ["*", "**/*"]},
    include_package_data=True,
)

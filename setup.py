"""Package layout: the code lives in app/; the top-level resources/ ships as quantumflux.resources and the
sample data (data/sample/, shown on a first run) as quantumflux.sample_data."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("app"), "quantumflux.resources", "quantumflux.sample_data"],
    package_dir={"": "app", "quantumflux.resources": "resources", "quantumflux.sample_data": "data/sample"},
    package_data={"quantumflux.resources": ["*", "**/*"], "quantumflux.sample_data": ["*", "**/*"]},
    include_package_data=True,
)

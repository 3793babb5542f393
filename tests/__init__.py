"""The test suite. A package, so that pytest puts the repository root on sys.path rather than tests/,
where tests/checkocr, tests/service, tests/segmentation and tests/training would be namespace
portions of the packages they test."""

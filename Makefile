# photoq: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
R ?= R
# The Python that R's reticulate uses; R CMD check's fresh R processes inherit it.
export PHOTOQ_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
export PHOTOQ_SOURCE := $(CURDIR)
DEMO ?= demo

R_PACKAGES := r-base-core r-base-dev r-cran-reticulate r-cran-testthat r-cran-proc r-cran-jpeg r-cran-png \
	r-cran-ggplot2
# headless Chromium: the browser test of the HTML report; exiftool: the XMP sidecars read back
BROWSER_PACKAGES := chromium libimage-exiftool-perl

.PHONY: demo test test-python test-r check-r examples install-python install-r r-python-source docs bench bench-quality bench-learn clean

## demo: make demo photos, build the cache, train, evaluate, draw the pictures
demo: install-python
	$(PYTHON) -m pyphotoq demo $(DEMO)

## test: every test, Python (pytest, with the rpy2 parity test), R (R CMD check with testthat)
## and both quick-start examples
test: install-python install-r
	$(MAKE) test-python check-r examples

test-python:
	$(PYTHON) -m pytest -q tests/python

## install-python: pyphotoq (editable) with its dependencies, the test tools and the Dask extra
## (the cluster tests run a real LocalCluster), if missing
install-python:
	@$(PYTHON) -c "import pyphotoq, tensorflow, pytest, jinja2, flask, distributed, rawpy, pillow_heif, tifffile, imagecodecs" 2>/dev/null || \
		$(PYTHON) -m pip install -e ".[test,dask]"

## install-r: R, the R packages and Chromium from Debian, if missing (R first: rpy2 builds against it),
## then the R package photoq itself, carrying pyphotoq's source for install_photoq()
install-r: r-python-source
	@{ Rscript -e 'for (p in c("reticulate", "testthat", "pROC", "jpeg", "png", "ggplot2")) library(p, character.only = TRUE)' \
		&& command -v chromium && command -v exiftool; } >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(R_PACKAGES) $(BROWSER_PACKAGES); }
	@$(PYTHON) -c "import rpy2.robjects" 2>/dev/null || $(PYTHON) -m pip install -e ".[parity]"
	$(R) CMD INSTALL --no-multiarch .

## r-python-source: copy pyphotoq's source into inst/python, so that the R package carries it
## and install_photoq() works without a checkout (generated; ignored by git)
r-python-source:
	rm -rf inst/python
	mkdir -p inst/python
	cp -R pyproject.toml README.md LICENSE.md pyphotoq inst/python/
	find inst/python -name __pycache__ -prune -exec rm -rf {} +

## check-r: build the R package and run R CMD check, which runs the testthat suite
check-r: r-python-source
	rm -rf photoq.Rcheck photoq_*.tar.gz
	$(R) CMD build --no-build-vignettes .
	_R_CHECK_FORCE_SUGGESTS_=false $(R) CMD check --no-manual photoq_*.tar.gz
	@! grep -q -E "^Status: .*(ERROR|WARNING)" photoq.Rcheck/00check.log

## examples: the same workflow in Python and in R (R uses the package R CMD check installed)
examples:
	$(PYTHON) examples/quickstart.py $(DEMO)/quickstart-py
	R_LIBS=photoq.Rcheck Rscript examples/quickstart.R $(DEMO)/quickstart-r

## test-r: the testthat suite alone, against the source tree (quicker than check-r)
test-r:
	Rscript -e 'testthat::test_local(".", stop_on_failure = TRUE)'

## docs: regenerate R's help of the shared settings from pyphotoq/core/parameters.py (R/parameters.R),
## then NAMESPACE and man/ from the roxygen comments in R/
docs:
	$(PYTHON) -m pyphotoq.r_help --write R/parameters.R
	Rscript -e 'roxygen2::roxygenise()'

## bench-quality: the recipes on realistic photographs (makes the set outside the repository; about an hour)
bench-quality:
	$(PYTHON) benchmarks/bench_quality.py --parallel --keep

## bench-learn: learning from 20 corrections on realistic photographs (makes the set too; about 45 minutes)
bench-learn:
	$(PYTHON) benchmarks/bench_learn.py

bench:
	$(PYTHON) benchmarks/bench_cache.py
	$(PYTHON) benchmarks/bench_detail.py
	$(PYTHON) benchmarks/bench_batches.py
	$(PYTHON) benchmarks/bench_training.py
	$(PYTHON) benchmarks/bench_r_face.py
	$(PYTHON) benchmarks/bench_raw.py

clean:
	rm -rf $(DEMO) photoq.Rcheck photoq_*.tar.gz .pytest_cache

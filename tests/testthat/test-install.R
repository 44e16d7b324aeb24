# The pyphotoq checkout to install: PHOTOQ_SOURCE, else the source tree around these tests.
photoq_source <- function() {
  source <- Sys.getenv("PHOTOQ_SOURCE")
  if (nzchar(source)) {
    return(source)
  }
  candidate <- normalizePath(file.path(testthat::test_path(), "..", ".."), mustWork = FALSE)
  if (file.exists(file.path(candidate, "pyproject.toml"))) candidate else ""
}

test_that("install_photoq() makes a virtualenv whose Python imports pyphotoq", {
  skip_if_no_photoq()
  source <- photoq_source()
  if (!nzchar(source)) {
    if (identical(tolower(Sys.getenv("CI")), "true")) stop("set PHOTOQ_SOURCE to the photoq checkout")
    skip("PHOTOQ_SOURCE is not set")
  }
  base <- photoq_config()$python
  home <- tempfile("venvs-")
  dir.create(home)
  # pip builds in the source folder: give it a copy, so the checkout is left as it is
  copy <- file.path(home, "photoq-source")
  dir.create(copy)
  files <- list.files(source, pattern = "^(pyproject\\.toml|README\\.md|LICENSE.*)$", full.names = TRUE)
  file.copy(c(files, file.path(source, "pyphotoq")), copy, recursive = TRUE)
  unlink(list.files(copy, pattern = "^__pycache__$", recursive = TRUE, include.dirs = TRUE,
                    full.names = TRUE), recursive = TRUE)
  source <- copy
  old <- Sys.getenv(c("WORKON_HOME", "_RETICULATE_I_KNOW_WHAT_IM_DOING_"), unset = NA)
  # a deliberate install into a temporary folder, also under R CMD check
  Sys.setenv(WORKON_HOME = home, `_RETICULATE_I_KNOW_WHAT_IM_DOING_` = "true")
  on.exit(for (name in names(old)) {
    if (is.na(old[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(old[name]))
  }, add = TRUE)
  envname <- file.path(home, "photoq-test-env")
  # system_site_packages: TensorFlow and the rest come from `base`, not downloaded again
  output <- utils::capture.output(
    expect_message(
      python <- install_photoq(envname = envname, source = source, python = base,
                               system_site_packages = TRUE, pip_options = "--quiet"),
      "PHOTOQ_PYTHON"
    )
  )
  expect_equal(python, file.path(envname, "bin", "python"))
  expect_true(file.exists(python))
  expect_true(file.exists(file.path(envname, "pyvenv.cfg")))
  # the new environment's own pyphotoq, in a separate Python process
  restore <- photoq:::python_library_path()
  on.exit(Sys.setenv(LD_LIBRARY_PATH = restore), add = TRUE)
  out <- system2(python, c("-c", shQuote(paste(
    "import pyphotoq, ssl, sys;",
    "print(pyphotoq.__version__);",
    "print(pyphotoq.__file__.startswith(sys.prefix));",
    "print(sys.prefix != sys.base_prefix)"
  ))), stdout = TRUE, stderr = FALSE)
  expect_equal(out[2:3], c("True", "True"))
  expect_equal(out[1], photoq_config()$pyphotoq)
  # and it imports the pieces that need TensorFlow
  status <- system2(python, c("-c", shQuote("import pyphotoq.interop, pyphotoq.models.model")),
                    stdout = FALSE, stderr = FALSE)
  expect_equal(status, 0L)
  # a second call reuses the environment
  utils::capture.output(suppressMessages(
    again <- install_photoq(envname = envname, source = source, python = base,
                            system_site_packages = TRUE, pip_options = "--quiet")
  ))
  expect_equal(again, python)
})

test_that("install_photoq() checks its arguments", {
  expect_error(install_photoq(method = "pip"), "'arg' should be one of")
  expect_error(install_photoq(system_site_packages = "yes"), "must be TRUE or FALSE")
})

test_that("install_photoq() removes an environment it could not complete", {
  skip_if_no_photoq()
  skip_on_cran()
  home <- tempfile("venvs-")
  dir.create(home)
  envname <- file.path(home, "photoq-broken-env")
  old <- Sys.getenv("_RETICULATE_I_KNOW_WHAT_IM_DOING_", unset = NA)
  Sys.setenv(`_RETICULATE_I_KNOW_WHAT_IM_DOING_` = "true")
  on.exit(if (is.na(old)) Sys.unsetenv("_RETICULATE_I_KNOW_WHAT_IM_DOING_")
          else Sys.setenv(`_RETICULATE_I_KNOW_WHAT_IM_DOING_` = old), add = TRUE)
  missing_wheel <- file.path(home, "pyphotoq-0.0.0-py3-none-any.whl")
  utils::capture.output(expect_error(
    install_photoq(envname = envname, source = missing_wheel, python = photoq_config()$python,
                   pip_options = c("--quiet", "--no-index")),
    "could not install pyphotoq.*was removed"
  ), type = "output")
  expect_false(dir.exists(envname))
})

test_that("install_photoq() installs, by default, the source this R package carries", {
  old <- Sys.getenv("PHOTOQ_SOURCE", unset = NA)
  Sys.unsetenv("PHOTOQ_SOURCE")
  on.exit(if (!is.na(old)) Sys.setenv(PHOTOQ_SOURCE = old), add = TRUE)
  bundled <- system.file("python", package = "photoq")
  if (!nzchar(bundled)) {
    # a source tree loaded without `make r-python-source`: the reason is one clear line
    expect_error(photoq:::bundled_source(), "installed without pyphotoq's source")
    skip("this photoq carries no Python source (built without make)")
  }
  expect_equal(photoq:::bundled_source(), bundled)
  expect_true(file.exists(file.path(bundled, "pyproject.toml")))
  expect_true(file.exists(file.path(bundled, "pyphotoq", "data", "cache.py")))
  expect_true(formals(install_photoq)$system_site_packages)
  expect_null(formals(install_photoq)$source)
})

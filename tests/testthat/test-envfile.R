test_that("write_conda_env() writes a conda environment file that reads back", {
  skip_if_no_photoq()
  file <- tempfile(fileext = ".yml")
  path <- write_conda_env(file, name = "photoq-test", python = "3.11",
                          channels = c("conda-forge", "defaults"), package = "pyphotoq==0.1.0",
                          extra_pip = "rich")
  expect_equal(path, normalizePath(file))
  lines <- readLines(file)
  expect_equal(lines[1:5], c("name: photoq-test", "channels:", "- conda-forge", "- defaults",
                             "dependencies:"))
  expect_true("- python=3.11" %in% lines)
  expect_true("- pip" %in% lines)
  expect_true("- pip:" %in% lines)
  expect_true("  - pyphotoq==0.1.0" %in% lines)
  expect_true("  - rich" %in% lines)
  expect_true(any(grepl("^  - tensorflow", lines)))
  # round trip through Python's pyyaml (safe_load)
  yaml <- reticulate::import("yaml", convert = FALSE)
  builtins <- reticulate::import_builtins(convert = FALSE)
  spec <- reticulate::py_to_r(yaml$safe_load(builtins$open(file)$read()))
  expect_equal(spec$name, "photoq-test")
  expect_equal(spec$channels, c("conda-forge", "defaults"))
  deps <- spec$dependencies
  expect_equal(deps[[1]], "python=3.11")
  expect_equal(deps[[2]], "pip")
  pip <- unlist(deps[[3]]$pip)
  expect_equal(tail(pip, 2), c("pyphotoq==0.1.0", "rich"))
  # one channel stays a list; defaults follow Python's
  default <- write_conda_env(tempfile(fileext = ".yml"))
  spec <- reticulate::py_to_r(yaml$safe_load(builtins$open(default)$read()))
  expect_equal(spec$name, "photoq")
  expect_equal(spec$channels, "conda-forge")
  expect_match(spec$dependencies[[1]], "^python=3\\.[0-9]+$")
  expect_equal(tail(unlist(spec$dependencies[[3]]$pip), 1), "pyphotoq")
})

test_that("install_photoq()'s own conda file (no Python needed) has the same shape", {
  file <- tempfile(fileext = ".yml")
  photoq:::write_minimal_env(file, "r-photoq", "3.11", c("/src/it's photoq", "rich"))
  lines <- readLines(file)
  expect_equal(lines, c("name: 'r-photoq'", "channels:", "- conda-forge", "dependencies:",
                        "- python=3.11", "- pip", "- pip:", "  - '/src/it''s photoq'",
                        "  - 'rich'"))
  skip_if_no_photoq()
  yaml <- reticulate::import("yaml", convert = FALSE)
  builtins <- reticulate::import_builtins(convert = FALSE)
  spec <- reticulate::py_to_r(yaml$safe_load(builtins$open(file)$read()))
  expect_equal(spec$name, "r-photoq")
  expect_equal(unlist(spec$dependencies[[3]]$pip), c("/src/it's photoq", "rich"))
})

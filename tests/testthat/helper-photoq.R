# Shared by every test file: the skip helper and one tiny trained workflow per R session.

# Skip when Python or pyphotoq is unavailable, except in CI (CI=true), where
# nothing may be skipped: there a missing Python fails the test.
skip_if_no_photoq <- function() {
  if (photoq_available()) {
    return(invisible(TRUE))
  }
  why <- paste0("Python with pyphotoq is not available (set PHOTOQ_PYTHON): ",
                photoq_config()$problem)
  if (identical(tolower(Sys.getenv("CI")), "true")) {
    stop("CI must not skip: ", why, call. = FALSE)
  }
  testthat::skip(why)
}

# Skip when a suggested R package is missing, except in CI (CI=true), where it fails.
skip_if_no_package <- function(package) {
  if (requireNamespace(package, quietly = TRUE)) {
    return(invisible(TRUE))
  }
  if (identical(tolower(Sys.getenv("CI")), "true")) {
    stop("CI must not skip: the R package ", package, " is not installed", call. = FALSE)
  }
  testthat::skip(paste("the R package", package, "is not installed"))
}

# One demo trip, its cache and a short run, made on first use and shared by all
# test files of this R session (read-only for them).
photoq_fixture <- local({
  state <- NULL
  function() {
    if (is.null(state)) {
      dir <- tempfile("photoq-test-")
      dir.create(dir)
      photos <- make_demo_photos(file.path(dir, "photos"), n_photos = 40, size = c(128, 96))
      # 60/20/20 so that validation and test hold both classes
      cache <- build_cache(photos, file.path(dir, "cache"), width = 96,
                           split = splitting(fractions = c(0.6, 0.2, 0.2)), progress = FALSE)
      run <- train_model(cache, file.path(dir, "run"), batches = 20, validate_every = 10)
      state <<- list(dir = dir, photos = photos, cache = cache, run = run)
    }
    state
  }
})

# TRUE when no element of `x`, at any depth, is a Python object.
is_plain_r <- function(x) {
  if (inherits(x, "python.builtin.object")) {
    return(FALSE)
  }
  if (is.list(x)) {
    return(all(vapply(x, is_plain_r, logical(1))))
  }
  is.null(x) || is.atomic(x)
}

# Rscript of this R installation.
rscript <- function() file.path(R.home("bin"), "Rscript")

# R code that attaches photoq in a child R process, installed or from source.
attach_photoq_code <- function() {
  path <- find.package("photoq")
  if (!dir.exists(file.path(path, "Meta"))) { # a source tree (devtools::test, test_local)
    sprintf("suppressMessages(pkgload::load_all(%s, quiet = TRUE, export_all = FALSE))",
            deparse(path))
  } else {
    sprintf("library(photoq, lib.loc = %s)", deparse(dirname(path)))
  }
}

# Run R code in a fresh R process with some environment variables; stdout+stderr lines.
run_r <- function(code, env = character()) {
  script <- tempfile(fileext = ".R")
  writeLines(code, script)
  suppressWarnings(system2(rscript(), c("--vanilla", shQuote(script)), stdout = TRUE,
                           stderr = TRUE, env = env))
}

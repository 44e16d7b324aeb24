#' photoq: learn a photographer's taste from sorted photo folders
#'
#' The R face of 'pyphotoq'. The functions have the same names and arguments as
#' the Python ones (Python `None` is R `NULL`):
#'
#' * [make_demo_photos()] writes synthetic `good/` and `bad/` photos to try it on;
#' * [build_cache()] / [open_cache()] resize photos once into a shared cache that
#'   R reads without Python ([read_cached_image()]);
#' * [build_model()], [train_model()], [open_run()] train and reopen a run;
#' * [evaluate_model()], [evaluate_checkpoints()], [as_roc()] evaluate it;
#' * [plot_roc()], [plot_history()], [contact_sheet()], [plot_bias()] draw with
#'   'ggplot2' from the tables Python draws from ([roc_plot_data()]);
#' * [bias_report()], [explain_photos()] and [report()] say what a score
#'   follows, which part of a photo weighed, and write one HTML report;
#' * [score_photos()] scores a folder of new photos;
#' * [install_photoq()], [write_conda_env()], [photoq_available()],
#'   [photoq_config()] set up and inspect the Python side.
#'
#' @section Which Python:
#' `library(photoq)` never starts Python. The first function that needs it picks,
#' in this order: the Python named by the environment variable `PHOTOQ_PYTHON`
#' (required), the one named by `RETICULATE_PYTHON`, the virtualenv `r-photoq`
#' made by [install_photoq()], and otherwise what 'reticulate' finds. Results never
#' cross from Python as numpy arrays (Debian's 'reticulate' 1.28 cannot read
#' numpy 2): tables come back as plain columns, pictures as files, and the cache
#' and run folders are read by R directly. The plots take their tables from
#' 'pyphotoq', so they need Python.
#'
#' @keywords internal
"_PACKAGE"

# Package state: the (delay-loaded) Python modules.
.photoq <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  # Nothing starts Python here: the module is a proxy until first used, and
  # photoq_python() chooses the interpreter before touching it.
  .photoq$ready <- FALSE
  .photoq$py <- tryCatch(
    reticulate::import(
      "pyphotoq",
      delay_load = list(environment = "r-photoq", priority = 10),
      convert = FALSE
    ),
    # Python already running without pyphotoq: photoq_python() explains on first use.
    error = function(e) NULL
  )
  invisible()
}

#' Train and compare runs of several recipes and seeds
#'
#' Trains one run per recipe and seed, each in its own folder
#' `runs/<recipe>-seed<seed>` (a run that exists is resumed), evaluates each on
#' the test split and returns a table comparing them. With `client` the runs
#' train side by side on the workers of a Dask cluster, one per worker;
#' without, one after the other in this session. A run that fails says why in
#' `error`; the others still finish. (Named `sweep_runs`, in Python too, so as
#' not to mask base R's [base::sweep()].)
#'
#' @param cache A `photoq_cache` or a cache folder.
#' @param runs Folder for the runs.
#' @param recipes Recipe names ("two-view", "two-branch", "original"; see [train_model()]).
#' @param seeds Whole numbers: one run per recipe and seed.
#' @param client `NULL` (train here), `"local:N"`, a scheduler address or a
#'   Python `distributed.Client` (see [build_cache()]).
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param ... Passed to every [train_model()], e.g. `batches`, `batch_size`,
#'   `validate_every`.
#' @return A data frame of recipe, seed, run, batches, validation_auc (as the
#'   run's scores are used: with its booster when it has one), test_auc,
#'   seconds (training and evaluation) and error (`""` when the run finished).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   sweep_runs(cache, tempfile("runs"), recipes = "two-branch", seeds = 1:2,
#'         batches = 4, validate_every = 4)
#' }
#' }
sweep_runs <- function(cache, runs, recipes = "two-view", seeds = 1, client = NULL, progress = NULL, ...) {
  if (!is.character(recipes) || !length(recipes) || anyNA(recipes)) {
    photoq_stop("`recipes` must be recipe names, got ", deparse_short(recipes))
  }
  if (!is.numeric(seeds) || !length(seeds) || anyNA(seeds) || any(seeds != round(seeds)) || any(seeds < 0)) {
    photoq_stop("`seeds` must be whole numbers of 0 or more, got ", deparse_short(seeds))
  }
  extra <- list(...)
  if (length(extra) && (is.null(names(extra)) || any(names(extra) == ""))) {
    photoq_stop("The arguments passed on to train_model() must be named")
  }
  # whole numbers (R's doubles) go to Python as int
  extra <- lapply(extra, function(v) {
    if (is.numeric(v) && length(v) == 1 && !is.na(v) && v == round(v)) as.integer(v) else v
  })
  table <- do.call(call_photoq, c(list(
    "sweep_runs",
    cache = check_path(cache, "cache"),
    runs = check_path(runs, "runs"),
    recipes = as.list(recipes),
    seeds = as.list(as.integer(seeds)),
    client = check_client(client),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  ), extra))
  columns_to_df(from_python("table_columns", table))
}

# NULL, one string (a scheduler address or "local:N") or a Python object (a distributed.Client).
check_client <- function(x, call = sys.call(-1)) {
  if (is.null(x) || inherits(x, "python.builtin.object")) {
    return(x)
  }
  if (!is.character(x) || length(x) != 1 || is.na(x) || !nzchar(x)) {
    photoq_stop("`client` must be NULL, \"local:N\", a scheduler address or a distributed.Client, got ",
                deparse_short(x), call = call)
  }
  x
}

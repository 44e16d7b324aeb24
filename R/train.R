# Demo photos, the model and training: calls into pyphotoq.

#' Write synthetic demo photos
#'
#' Draws photo-like landscapes into `folder/good` and `folder/bad`: good ones are
#' sharp, well exposed and level; each bad one has a fault or two (blurred, too
#' dark or washed out, tilted, horizon too high, dull colour). Deterministic for
#' a seed.
#'
#' @param folder Destination folder (created if needed).
#' @param n_photos Number of photos, at least 2.
#' @param size `c(width, height)` of a landscape photo, both at least 64.
#' @param good_share Share of good photos, strictly between 0 and 1.
#' @param seed Seed of the random generator.
#' @param progress Show a progress bar.
#' @return The folder, as a normalized path (invisibly).
#' @export
#' @examples
#' if (photoq_available()) {
#'   folder <- make_demo_photos(tempfile("photos"), n_photos = 6, size = c(128, 96))
#'   list.files(folder, recursive = TRUE)
#' }
make_demo_photos <- function(folder, n_photos = 240, size = c(640, 480), good_share = 0.4,
                             seed = 0, progress = NULL) {
  if (!is.numeric(size) || length(size) != 2 || anyNA(size) || any(size != round(size))) {
    photoq_stop("`size` must be c(width, height) in whole pixels, got ", deparse_short(size))
  }
  folder <- check_path(folder, "folder")
  call_photoq(
    "make_demo_photos",
    folder = folder,
    n_photos = check_whole(n_photos, "n_photos"),
    size = as.integer(size), # two numbers: a Python list
    good_share = check_number(good_share, "good_share"),
    seed = check_whole(seed, "seed", min = 0),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  )
  invisible(normalizePath(folder, winslash = "/"))
}

#' Build the network of a recipe
#'
#' The network that [train_model()] trains for `recipe`, compiled with the
#' recipe's optimiser: by default the two-view network (the overview network
#' beside a detail branch over native-resolution patches); "two-branch" is
#' the overview network alone (a GAP CNN with batch normalisation beside
#' global image statistics); `build_model("original")` is the original
#' global-average-pooling CNN with 47,266 parameters and RMSprop 1e-4. The
#' overview input is 8-bit RGB of any height and width (the two-view network
#' also takes the patches); output column 2 (Python index 1) is the 'good'
#' score.
#'
#' @param recipe A recipe name (see [train_model()]) or [recipe()], or `NULL`
#'   for the default recipe.
#' @param seed Seed for the weights and dropout (`NULL`: not seeded).
#' @param ... Settings of the recipe to override: its network's options (for
#'   "original": `filters`, `last_filters`, `strided_layers`, `dropout`; for
#'   "two-branch": `widths`, `dropout`, `statistics`, `flip`, `image_units`,
#'   `statistics_units`, `statistics_bins`, `statistics_dropout`,
#'   `image_branch`; for "two-view" also `detail_widths`, `detail_units`,
#'   `detail_branch`) and training
#'   settings such as `learning_rate`. A setting the recipe fixes is refused.
#' @return The Keras model, as a Python object (not converted): use it with
#'   'reticulate', e.g. `model$count_params()`.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   model <- build_model("original")
#'   reticulate::py_to_r(model$count_params())
#' }
#' }
build_model <- function(recipe = NULL, seed = 0, ...) {
  options <- list(...)
  if (length(options) && (is.null(names(options)) || any(!nzchar(names(options))))) {
    photoq_stop("Settings given to build_model() must be named, e.g. filters = 16")
  }
  options <- lapply(options, function(value) {
    if (is.numeric(value) && length(value) == 1 && value == round(value)) as.integer(value) else value
  })
  do.call(call_photoq, c(list(
    "build_model",
    recipe = check_settings(recipe, "recipe", "recipe", string_ok = TRUE),
    seed = check_whole(seed, "seed", null_ok = TRUE, min = 0)
  ), options))
}

#' Train the model on a cache
#'
#' Trains on batches drawn with replacement, one image shape per batch, classes
#' rebalanced; every `validate_every` batches it measures validation AUC,
#' accuracy and F1, saves a checkpoint, the history and (with `plot`) the
#' history plot. Calling it again on the same run folder resumes from the last
#' checkpoint, or extends a finished run when asked for more batches.
#'
#' @inheritParams photoq_parameters
#' @param cache A `photoq_cache` or a cache folder.
#' @param run The run folder (created if needed).
#' @param recipe The training recipe: `NULL` for the default ("two-view": a
#'   GAP CNN with batch normalisation and global image statistics over the
#'   overview, beside a small network and the same statistics over the
#'   cache's native-resolution patches; AdamW with warm-up and cosine decay,
#'   horizontal flips, 600 batches of 8, and a booster of gradient-boosted
#'   trees over the image statistics; on a cache without the detail view
#'   the default is "two-branch", the overview part alone, and says so once),
#'   "two-branch", or "original" (the original workflow exactly: 47,266
#'   parameters, RMSprop 1e-4, 5,000 batches of 4); or [recipe()] (or a named
#'   list of its settings) for a recipe with another learning rate, network
#'   options or without the booster. The run folder records the recipe and
#'   every setting it resolved to. When a new run's labels go with an editor's
#'   traces (keepers edited, rejects not), one camera or one hour, one line
#'   says so with the counts, and `run.json` keeps it.
#' @param plot Redraw `history.png` in the run folder at every checkpoint.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param deterministic Turn on TensorFlow's op determinism (for the rest of the
#'   session), so a run is reproducible on one machine and a resumed run matches
#'   an uninterrupted one.
#' @param continue_on_new_data Resume even though the cache's validation split
#'   changed since the run started (by default that stops with a clear message,
#'   as AUCs over different sets cannot be compared); the best checkpoint is then
#'   chosen again from the new validation set on.
#' @return The run, a `photoq_run` (see [open_run()]).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   run
#'   plot(run)
#' }
#' }
train_model <- function(cache, run, recipe = NULL, batches = NULL, batch_size = NULL,
                        validate_every = NULL, seed = 0, plot = TRUE, progress = NULL,
                        deterministic = TRUE, continue_on_new_data = FALSE) {
  handle <- call_photoq(
    "train_model",
    cache = check_path(cache, "cache"),
    run = check_path(run, "run"),
    recipe = check_settings(recipe, "recipe", "recipe", string_ok = TRUE),
    batches = check_whole(batches, "batches", null_ok = TRUE),
    batch_size = check_whole(batch_size, "batch_size", null_ok = TRUE),
    validate_every = check_whole(validate_every, "validate_every", null_ok = TRUE),
    seed = check_whole(seed, "seed"),
    plot = check_flag(plot, "plot"),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    deterministic = check_flag(deterministic, "deterministic"),
    continue_on_new_data = check_flag(continue_on_new_data, "continue_on_new_data")
  )
  open_run(from_python("run_result", handle)$path)
}

# Options of the recipe's network as a Python dict, whole numbers as integers;
# the recipe itself says which options exist (an unknown one is its error).
check_model_options <- function(options, call = sys.call(-1)) {
  if (is.null(options) || length(options) == 0) {
    return(NULL)
  }
  if (!is.list(options) || is.null(names(options)) || any(!nzchar(names(options)))) {
    photoq_stop("`model_options` must be a named list of network options", call = call)
  }
  for (name in names(options)) {
    value <- options[[name]]
    options[name] <- list(
      if (is.numeric(value) && all(value == round(value)) && name != "dropout") as.integer(value)
      else value
    )
  }
  json_arg(options) # a Python dict
}

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

#' Build the network
#'
#' The original global-average-pooling CNN (47,266 parameters by default),
#' compiled with RMSprop and binary cross-entropy. Input is 8-bit RGB of any
#' height and width; output column 2 (Python index 1) is the 'good' score.
#'
#' @param filters Filters of the first four convolutions.
#' @param last_filters Filters of the last convolution.
#' @param strided_layers Number of stride-2 convolutions after the first one.
#' @param dropout Dropout rate.
#' @param learning_rate RMSprop learning rate.
#' @param seed Seed for the weights and dropout (`NULL`: not seeded).
#' @return The Keras model, as a Python object (not converted): use it with
#'   'reticulate', e.g. `model$count_params()`.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   model <- build_model()
#'   reticulate::py_to_r(model$count_params())
#' }
#' }
build_model <- function(filters = 32, last_filters = 64, strided_layers = 3, dropout = 0.25,
                        learning_rate = 1e-4, seed = 0) {
  call_photoq(
    "build_model",
    filters = check_whole(filters, "filters", min = 1),
    last_filters = check_whole(last_filters, "last_filters", min = 1),
    strided_layers = check_whole(strided_layers, "strided_layers", min = 0),
    dropout = check_number(dropout, "dropout"),
    learning_rate = check_number(learning_rate, "learning_rate"),
    seed = check_whole(seed, "seed", null_ok = TRUE, min = 0)
  )
}

#' Train the model on a cache
#'
#' Trains on batches drawn with replacement, one image shape per batch, classes
#' rebalanced; every `validate_every` batches it measures validation AUC,
#' accuracy and F1, saves a checkpoint, the history and (with `plot`) the
#' history plot. Calling it again on the same run folder resumes from the last
#' checkpoint, or extends a finished run when asked for more batches.
#'
#' @param cache A `photoq_cache` or a cache folder.
#' @param run The run folder (created if needed).
#' @param batches Number of batches to train in all.
#' @param batch_size Photos per batch.
#' @param validate_every Batches between validations and checkpoints.
#' @param seed Seed of the batch stream, weights and dropout.
#' @param learning_rate RMSprop learning rate.
#' @param model_options A named list of [build_model()] arguments.
#' @param plot Redraw `history.png` in the run folder at every checkpoint.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param deterministic Turn on TensorFlow's op determinism (for the rest of the
#'   session), so a run is reproducible on one machine and a resumed run matches
#'   an uninterrupted one.
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
train_model <- function(cache, run, batches = 5000, batch_size = 4, validate_every = 100,
                        seed = 0, learning_rate = 1e-4, model_options = NULL, plot = TRUE,
                        progress = NULL, deterministic = TRUE) {
  handle <- call_photoq(
    "train_model",
    cache = check_path(cache, "cache"),
    run = check_path(run, "run"),
    batches = check_whole(batches, "batches", min = 1),
    batch_size = check_whole(batch_size, "batch_size", min = 1),
    validate_every = check_whole(validate_every, "validate_every", min = 1),
    seed = check_whole(seed, "seed", min = 0),
    learning_rate = check_number(learning_rate, "learning_rate"),
    model_options = check_model_options(model_options),
    plot = check_flag(plot, "plot"),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    deterministic = check_flag(deterministic, "deterministic")
  )
  open_run(from_python("run_result", handle)$path)
}

# build_model() arguments as a Python dict, whole numbers as integers (not
# dropout, which is a rate).
check_model_options <- function(options, call = sys.call(-1)) {
  if (is.null(options) || length(options) == 0) {
    return(NULL)
  }
  if (!is.list(options) || is.null(names(options)) || any(!nzchar(names(options)))) {
    photoq_stop("`model_options` must be a named list of build_model() arguments", call = call)
  }
  # learning_rate and seed are train_model()'s own arguments
  allowed <- setdiff(names(formals(build_model)), c("learning_rate", "seed"))
  unknown <- setdiff(names(options), allowed)
  if (length(unknown)) {
    photoq_stop("Unknown `model_options`: ", paste(unknown, collapse = ", "),
                " (use ", paste(allowed, collapse = ", "), ")", call = call)
  }
  rates <- "dropout"
  for (name in names(options)) {
    value <- options[[name]]
    options[name] <- list(
      if (is.null(value)) NULL
      else if (name %in% rates) check_number(value, name, call = call)
      else check_whole(value, name, min = 0, call = call)
    )
  }
  json_arg(options) # a Python dict
}

# The run folder, read by R alone: run.json, state.json, history.csv, checkpoints/.

RUN_FORMAT <- "photoq-run"
RUN_VERSION <- 1L

#' Open a run folder (R alone, no Python)
#'
#' Reads what [train_model()] leaves in a run folder: `run.json` (settings, the
#' cache it learned from, versions) and `state.json` (batches done, latest and
#' best checkpoint) with 'jsonlite', `history.csv` with `read.csv`, and the
#' list of checkpoints.
#'
#' @param run The run folder (or a `photoq_run`).
#' @return A `photoq_run`: a list with `path`, `info` (run.json), `state`
#'   (state.json), `settings`, `batches_done`, `history` (a data frame of
#'   batch, set, metric, value: training loss and accuracy per batch and their
#'   moving averages `loss_avg` and `accuracy_avg`, validation auc, accuracy, f1
#'   and loss per checkpoint), `checkpoints` (batch, path) and `booster`
#'   (`booster/booster.json` of a run whose recipe has a booster: the
#'   gradient-boosted trees over image statistics, each compared with the
#'   photo's scene, blended with the best checkpoint at `network_weight`;
#'   `NULL` otherwise).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   folder <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)$path
#'   run <- open_run(folder)
#'   summary(run)
#'   subset(run$history, set == "validation")
#' }
#' }
open_run <- function(run) {
  folder <- check_path(run, "run")
  info <- read_folder_info(folder, "run.json", RUN_FORMAT, RUN_VERSION,
                           "run", "train one with train_model")
  state_file <- file.path(folder, "state.json")
  state <- if (file.exists(state_file)) {
    jsonlite::read_json(state_file, simplifyVector = TRUE)
  } else {
    list(batches_done = 0L)
  }
  done <- as.integer(state$batches_done %||% 0L)
  structure(
    list(
      path = folder,
      info = info,
      state = state,
      settings = info$settings,
      batches_done = done,
      history = read_history(folder),
      checkpoints = run_checkpoints(folder, done),
      booster = read_booster(folder)
    ),
    class = "photoq_run"
  )
}

read_booster <- function(folder) {
  file <- file.path(folder, "booster", "booster.json")
  if (!file.exists(file)) {
    return(NULL)
  }
  tryCatch(
    jsonlite::read_json(file, simplifyVector = TRUE),
    error = function(e) photoq_stop(sprintf("The booster file %s cannot be read: %s", file, conditionMessage(e)))
  )
}

read_history <- function(folder) {
  file <- file.path(folder, "history.csv")
  if (!file.exists(file)) {
    return(data.frame(batch = integer(), set = character(), metric = character(),
                      value = double(), stringsAsFactors = FALSE))
  }
  utils::read.csv(
    file, colClasses = c(batch = "integer", set = "character", metric = "character", value = "numeric"),
    na.strings = c("", "NA", "NaN", "nan"), stringsAsFactors = FALSE
  )
}

run_checkpoints <- function(folder, done) {
  files <- sort(list.files(file.path(folder, "checkpoints"), pattern = "^batch-[0-9]+\\.keras$",
                           full.names = TRUE))
  batch <- as.integer(sub("^batch-([0-9]+)\\.keras$", "\\1", basename(files)))
  keep <- batch <= done
  data.frame(batch = batch[keep], path = files[keep], stringsAsFactors = FALSE)
}

as_run <- function(run) {
  if (inherits(run, "photoq_run")) open_run(run$path) else open_run(run)
}

#' @export
print.photoq_run <- function(x, ...) {
  best <- x$state$best_auc
  best_text <- if (!is.null(best)) sprintf(", best validation AUC %.3f", best) else ""
  booster <- x$booster
  booster_text <- if (!is.null(booster$network_weight)) {
    sprintf(" %s booster (network weight %s, validation AUC %.3f)", middle_dot(),
            format(booster$network_weight), booster$validation_auc[[as.character(booster$network_weight)]] %||% NA)
  } else {
    ""
  }
  cat(sprintf("<photoq run %s %s recipe %s %s %d/%d batches%s%s>\n", x$path, middle_dot(),
              run_recipe(x$settings), middle_dot(), x$batches_done,
              as.integer(x$settings$batches), best_text, booster_text))
  invisible(x)
}

#' @export
summary.photoq_run <- function(object, ...) {
  h <- object$history
  validation <- h[h$set == "validation", , drop = FALSE]
  wide <- if (nrow(validation)) {
    out <- stats::reshape(validation[, c("batch", "metric", "value")], idvar = "batch",
                          timevar = "metric", direction = "wide")
    names(out) <- sub("^value\\.", "", names(out))
    rownames(out) <- NULL
    out[order(out$batch), , drop = FALSE]
  } else {
    data.frame(batch = integer())
  }
  structure(
    list(
      path = object$path,
      batches_done = object$batches_done,
      settings = object$settings,
      best = object$state$best,
      best_auc = object$state$best_auc,
      best_batch = object$state$best_batch,
      validation = wide
    ),
    class = "summary.photoq_run"
  )
}

#' @export
print.summary.photoq_run <- function(x, ...) {
  s <- x$settings
  cat(sprintf("photoq run %s (recipe %s)\n%d/%d batches of %d, validation every %d, seed %d, learning rate %g\n",
              x$path, run_recipe(s), x$batches_done, as.integer(s$batches), as.integer(s$batch_size),
              as.integer(s$validate_every), as.integer(s$seed), s$learning_rate))
  if (!is.null(x$best)) {
    cat(sprintf("best checkpoint: %s (validation AUC %s)\n", x$best,
                if (is.null(x$best_auc)) "NA" else sprintf("%.3f", x$best_auc)))
  }
  if (nrow(x$validation)) {
    cat("\nvalidation by checkpoint:\n")
    print(x$validation, row.names = FALSE, digits = 3)
  }
  invisible(x)
}

# plot_history(), plot() and autoplot() of a run: R/plots.R (ggplot2, from pyphotoq's tables).

# The recipe a run was trained with; runs from before recipes existed are the original's.
run_recipe <- function(settings) {
  settings$recipe %||% "original"
}

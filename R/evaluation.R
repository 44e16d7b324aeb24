# Evaluation: computed by pyphotoq, returned as plain columns, drawn by R.

#' Evaluate a run on a split
#'
#' Scores a checkpoint on `split` (the test split by default). The threshold is
#' `threshold` if given; else the one keeping `keep_recall` of the good photos on
#' validation if given; else the one that maximises F1 on validation, then
#' applied to `split`.
#'
#' @param run A `photoq_run` or a run folder.
#' @param split `"test"`, `"validation"` or `"train"`.
#' @param threshold A score threshold, or `NULL` to choose one on validation.
#' @param keep_recall Share of good validation photos to keep when choosing the
#'   threshold, or `NULL` (maximise F1).
#' @param checkpoint `"best"` (by validation AUC), `"latest"`, or a batch number.
#' @param cache The cache folder when it moved since training, else `NULL`.
#' @return A `photoq_evaluation`: a list with `split`, `checkpoint`,
#'   `threshold`, `threshold_rule`, `auc`, `accuracy`, `f1`, `share_positive`,
#'   `n_photos`, `positive` and `negative` (class names), `roc` (a data frame of
#'   fpr, tpr, threshold, highest threshold first), `predictions` (hash,
#'   original, cached (absolute path), label, score, predicted, correct; best
#'   score first), `cache_path` and `run_path`. `plot()` draws the ROC curve,
#'   [as_roc()] gives a 'pROC' object.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run)
#'   result
#'   summary(result)
#'   plot(result)
#'   head(result$predictions)
#' }
#' }
evaluate_model <- function(run, split = "test", threshold = NULL, keep_recall = NULL,
                           checkpoint = "best", cache = NULL) {
  result <- call_photoq(
    "evaluate_model",
    run = check_path(run, "run"),
    split = check_string(split, "split"),
    threshold = check_number(threshold, "threshold", null_ok = TRUE),
    keep_recall = check_number(keep_recall, "keep_recall", null_ok = TRUE),
    checkpoint = check_checkpoint(checkpoint),
    cache = if (is.null(cache)) NULL else check_path(cache, "cache")
  )
  new_evaluation(from_python("evaluation_result", result))
}

new_evaluation <- function(x) {
  structure(
    list(
      split = x$split,
      checkpoint = x$checkpoint,
      threshold = num_or_na(x$threshold),
      threshold_rule = x$threshold_rule,
      auc = num_or_na(x$auc),
      accuracy = num_or_na(x$accuracy),
      f1 = num_or_na(x$f1),
      share_positive = num_or_na(x$share_positive),
      n_photos = as.integer(x$n_photos),
      positive = x$positive,
      negative = x$negative,
      roc = columns_to_df(x$roc),
      predictions = columns_to_df(x$predictions),
      cache_path = x$cache_path,
      run_path = x$run_path
    ),
    class = "photoq_evaluation"
  )
}

evaluation_text <- function(x) {
  percent <- function(v) if (is.na(v)) "NA" else sprintf("%.1f%%", 100 * v)
  number <- function(v) if (is.na(v)) "NA" else sprintf("%.3f", v)
  sprintf(
    "%s split, %d photos, checkpoint %s: AUC %s, accuracy %s, F1 %s, %s predicted %s at threshold %s (%s)",
    x$split, x$n_photos, x$checkpoint, number(x$auc), percent(x$accuracy), number(x$f1),
    percent(x$share_positive), x$positive, number(x$threshold), x$threshold_rule
  )
}

#' @export
print.photoq_evaluation <- function(x, ...) {
  cat("<photoq evaluation> ", evaluation_text(x), "\n", sep = "")
  invisible(x)
}

#' @export
summary.photoq_evaluation <- function(object, ...) {
  p <- object$predictions
  levels <- c(object$negative, object$positive)
  structure(
    list(
      text = evaluation_text(object),
      metrics = data.frame(
        split = object$split, checkpoint = object$checkpoint, n_photos = object$n_photos,
        auc = object$auc, accuracy = object$accuracy, f1 = object$f1,
        share_positive = object$share_positive, threshold = object$threshold,
        stringsAsFactors = FALSE
      ),
      confusion = table(label = factor(p$label, levels = levels),
                        predicted = factor(p$predicted, levels = levels))
    ),
    class = "summary.photoq_evaluation"
  )
}

#' @export
print.summary.photoq_evaluation <- function(x, ...) {
  cat(x$text, "\n\n", sep = "")
  print(x$confusion)
  invisible(x)
}

#' @rdname plot_roc
#' @param x A `photoq_evaluation`.
#' @param ... Passed to [plot_roc()].
#' @export
plot.photoq_evaluation <- function(x, ...) {
  plot_roc(x, ...)
}

#' Plot the ROC curve of an evaluation (base graphics)
#'
#' A step line of true against false positive rate, the diagonal for reference,
#' the operating point at the result's threshold, and the AUC in the caption. `plot(result)` does the same.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param file A PNG file to write, or `NULL` to draw on the current device.
#' @return `file` when given, else `result`, invisibly.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run)
#'   plot_roc(result)
#'   plot_roc(result, file = tempfile(fileext = ".png"))
#' }
#' }
plot_roc <- function(result, file = NULL) {
  check_evaluation(result)
  written <- with_png(file, width = 700, height = 700, draw_roc(result))
  invisible(if (is.null(file)) result else written)
}

draw_roc <- function(result) {
  old <- graphics::par(pty = "s")
  on.exit(graphics::par(old))
  roc <- result$roc
  caption <- if (is.na(result$auc)) "AUC undefined (one class only)" else sprintf("AUC = %.3f", result$auc)
  graphics::plot(
    NA, xlim = c(0, 1), ylim = c(0, 1),
    xlab = "false positive rate (1 - specificity)", ylab = "true positive rate (sensitivity)",
    main = sprintf("ROC, %s split (%d photos)", result$split, result$n_photos), sub = caption
  )
  graphics::abline(0, 1, col = "grey60", lty = 2)
  if (nrow(roc)) {
    o <- order(roc$fpr, roc$tpr)
    graphics::lines(roc$fpr[o], roc$tpr[o], type = "s", col = "firebrick", lwd = 2)
    # the operating point: photos scoring at least the threshold are called positive
    at <- utils::tail(which(roc$threshold >= result$threshold), 1)
    if (length(at)) {
      graphics::points(roc$fpr[at], roc$tpr[at], pch = 19)
      graphics::text(roc$fpr[at], roc$tpr[at], cex = 0.8, pos = if (roc$fpr[at] > 0.6) 2 else 4,
                     sprintf("threshold %.2f\nTPR %.2f, FPR %.2f", result$threshold,
                             roc$tpr[at], roc$fpr[at]))
    }
  } else {
    graphics::text(0.5, 0.5, "no ROC curve: the split has one class only")
  }
}

check_evaluation <- function(result, call = sys.call(-1)) {
  if (!inherits(result, "photoq_evaluation")) {
    photoq_stop("`result` must be a photoq_evaluation from evaluate_model(), got ",
                class(result)[1], call = call)
  }
}

#' The ROC of an evaluation as a pROC object
#'
#' Builds [pROC::roc()] from the predictions with the levels set to
#' `c(negative, positive)` and `direction = "<"` given explicitly (a higher
#' score means 'good'); pROC's automatic direction would pick whichever way
#' gives the higher AUC and bias it upward.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param ... Passed to [pROC::roc()] (e.g. `ci = TRUE`).
#' @return A `roc` object of the 'pROC' package.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available() && requireNamespace("pROC", quietly = TRUE)) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   roc <- as_roc(evaluate_model(run))
#'   pROC::auc(roc)
#' }
#' }
as_roc <- function(result, ...) {
  check_evaluation(result)
  if (!requireNamespace("pROC", quietly = TRUE)) {
    photoq_stop("as_roc() needs the pROC package: install.packages(\"pROC\")")
  }
  p <- result$predictions
  levels <- c(result$negative, result$positive)
  present <- unique(p$label)
  if (!all(levels %in% present)) {
    photoq_stop("The ", result$split, " split has photos of one class only (",
                paste(present, collapse = ", "), "): no ROC curve")
  }
  pROC::roc(response = p$label, predictor = p$score, levels = levels, direction = "<",
            quiet = TRUE, ...)
}

#' Evaluate every checkpoint of a run
#'
#' AUC, accuracy and F1 (at threshold 0.5) of each checkpoint on each split:
#' where does the model start to overfit?
#'
#' @param run A `photoq_run` or a run folder.
#' @param splits The splits to score.
#' @param cache The cache folder when it moved since training, else `NULL`.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @return A data frame of batch, split, auc, accuracy, f1.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   evaluate_checkpoints(run)
#' }
#' }
evaluate_checkpoints <- function(run, splits = c("train", "validation", "test"), cache = NULL,
                                 progress = NULL) {
  table <- call_photoq(
    "evaluate_checkpoints",
    run = check_path(run, "run"),
    splits = check_strings(splits, "splits"),
    cache = if (is.null(cache)) NULL else check_path(cache, "cache"),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  )
  columns_to_df(from_python("checkpoints_result", table))
}

# Evaluation: computed by pyphotoq, returned as plain columns; drawn by R in plots.R.

#' Evaluate a run on a split
#'
#' Scores a checkpoint on `split` (the test split by default). The threshold is
#' `threshold` if given; else the one keeping `keep_recall` of the good photos on
#' validation if given; else the one that maximises F1 on validation, then
#' applied to `split`.
#'
#' @inheritParams photoq_evaluation_parameters
#' @param run A `photoq_run` or a run folder.
#' @param split `"test"`, `"validation"` or `"train"`.
#' @param checkpoint `"best"` (by validation AUC), `"latest"`, or a batch number.
#' @param cache The cache folder when it moved since training, else `NULL`.
#' @param progress Show a progress bar while measuring the photos' facts:
#'   `TRUE`, `FALSE`, or `NULL` (only on a terminal).
#' @return A `photoq_evaluation`: a list with `split`, `checkpoint`,
#'   `threshold`, `threshold_rule`, `auc`, `accuracy`, `f1`, `share_positive`,
#'   `n_photos`, `positive` and `negative` (class names), `roc` (a data frame of
#'   fpr, tpr, threshold, highest threshold first), `predictions` (hash,
#'   original, cached (absolute path), label, score, predicted, correct,
#'   decision (keep, review or reject: the verdict [score_photos()] gives the
#'   photo by its score, from the same keep and reject lines), taken,
#'   then `margin` (score minus threshold), measured facts -- sharpness,
#'   clipped_highlights, clipped_shadows, noise, tilt_degrees, brightness,
#'   saturation, colourfulness, portrait, aspect_ratio -- and a short `reason`
#'   text; best score first), `cache_path` and `run_path`. The facts describe
#'   the photo; they are not the model's reasons. With the run's booster, the
#'   reason says what moved the score most: the booster's largest feature
#'   contributions, in words ("softer than the other 6 shots of its scene").
#'   `plot()` draws
#'   the ROC curve, [as_roc()] gives a 'pROC' object, [bias_report()] what the
#'   score follows.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run)
#'   result
#'   summary(result)
#'   plot(result)
#'   head(result$predictions)
#' }
#' }
evaluate_model <- function(run, split = "test", threshold = NULL, keep_recall = NULL,
                           checkpoint = "best", cache = NULL, progress = NULL) {
  result <- call_photoq(
    "evaluate_model",
    run = check_path(run, "run"),
    split = check_string(split, "split"),
    threshold = check_number(threshold, "threshold", null_ok = TRUE),
    keep_recall = check_number(keep_recall, "keep_recall", null_ok = TRUE),
    checkpoint = check_checkpoint(checkpoint),
    cache = if (is.null(cache)) NULL else check_path(cache, "cache"),
    progress = check_flag(progress, "progress", null_ok = TRUE)
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
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
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
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
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

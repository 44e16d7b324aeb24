# Understanding a score: the bias report, activation maps and the HTML report, computed by
# pyphotoq and returned as plain tables and files.

#' What the score follows: the bias report of an evaluation
#'
#' For each nuisance variable -- brightness, saturation, colourfulness,
#' portrait or landscape, aspect ratio, capture hour, camera model, source
#' folder -- how strongly the score follows it (`score_association`), how
#' strongly the labels follow it (`label_association`), and how strongly the
#' score follows it among photos of the same label (`within_class`). Numbers use
#' Spearman's rank correlation (-1 to 1), categories the correlation ratio eta
#' (0 to 1). A variable is `flagged` when the score still follows it strongly
#' within a label (|within_class| >= 0.3) and clearly more than the labels do
#' (|score| - |label| >= 0.2): the model leans on something the photographer's
#' choices do not explain.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @return A `photoq_bias` data frame: variable, kind (`"number"` or
#'   `"category"`), n, score_association, label_association, within_class,
#'   lean, flagged, note. `plot()` / `ggplot2::autoplot()` draw it.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   bias <- bias_report(evaluate_model(run))
#'   bias[bias$flagged, ]
#'   plot_bias(bias)
#' }
#' }
bias_report <- function(result) {
  check_evaluation(result)
  table <- columns_to_df(from_python("to_plain",
                                     call_photoq("bias_report", result = evaluation_json(result))))
  structure(table, class = c("photoq_bias", "data.frame"), split = result$split)
}

#' Plot a bias report (ggplot2)
#'
#' One row per variable: how strongly the score, the labels, and the score within
#' a label follow it; flagged variables in red. Drawn from the table
#' `pyphotoq.reporting.bias.bias_plot_data` makes, as Python's `plot_bias` is.
#'
#' @param report A `photoq_bias` from [bias_report()].
#' @param file A picture file to write, or `NULL`.
#' @return A ggplot object (invisibly when `file` is given).
#' @export
plot_bias <- function(report, file = NULL) {
  if (!inherits(report, "photoq_bias")) {
    photoq_stop("`report` must be a photoq_bias from bias_report(), got ", class(report)[1])
  }
  data <- bias_plot_data(report)
  points <- data$points
  measures <- data$measures
  variables <- unique(points$variable)
  points$variable <- factor(points$variable, levels = rev(variables))
  points$measure <- factor(points$measure, levels = measures$measure)
  flagged <- unique(points[, c("variable", "flagged")])
  names <- stats::setNames(ifelse(flagged$flagged, paste0(flagged$variable, "  (flagged)"),
                                  flagged$variable), flagged$variable)
  p <- ggplot2::ggplot(points, ggplot2::aes(x = .data$value, y = .data$variable)) +
    ggplot2::geom_vline(xintercept = 0, colour = "grey30", linewidth = 0.3) +
    ggplot2::geom_line(ggplot2::aes(group = .data$variable), data = points[!points$flagged, , drop = FALSE],
                       colour = "grey60", linewidth = 0.5) +
    ggplot2::geom_line(ggplot2::aes(group = .data$variable), data = points[points$flagged, , drop = FALSE],
                       colour = "#d62728", linewidth = 1.2) +
    ggplot2::geom_point(ggplot2::aes(colour = .data$measure, shape = .data$measure), size = 2.6) +
    ggplot2::scale_colour_manual(values = stats::setNames(measures$colour, measures$measure), name = NULL) +
    ggplot2::scale_shape_manual(values = stats::setNames(c(16, 15, 17), measures$measure), name = NULL) +
    ggplot2::scale_x_continuous(limits = c(-1, 1)) +
    ggplot2::scale_y_discrete(labels = names) +
    ggplot2::labs(title = data$labels$title, x = data$labels$x, y = NULL) +
    ggplot2::theme_minimal(base_size = 11) +
    ggplot2::theme(legend.position = "bottom")
  save_plot(p, file, width = 7.5, height = 0.45 * max(length(variables), 2) + 1.8)
}

bias_plot_data <- function(report) {
  columns <- lapply(unclass(report), function(v) I(v))
  json <- structure(as.character(jsonlite::toJSON(columns, na = "null", digits = NA)),
                    class = "photoq_json")
  plot_tables(call_photoq("bias_plot_data", report = json))
}

#' @export
print.photoq_bias <- function(x, ...) {
  cat(sprintf("<photoq bias report, %s split: %d of %d variables flagged>\n",
              attr(x, "split") %||% "?", sum(x$flagged), nrow(x)))
  print(as.data.frame(unclass(x), stringsAsFactors = FALSE)[
    , c("variable", "n", "score_association", "label_association", "within_class", "flagged", "note")],
    digits = 2, row.names = FALSE)
  invisible(x)
}

#' @rdname plot_bias
#' @param object,x A `photoq_bias`.
#' @param ... Unused.
#' @method autoplot photoq_bias
#' @export
autoplot.photoq_bias <- function(object, ...) plot_bias(object)

#' @rdname plot_bias
#' @export
plot.photoq_bias <- function(x, ...) {
  p <- plot_bias(x)
  print(p)
  invisible(p)
}

#' Activation maps: which part of a photo pushed its score
#'
#' Grad-CAM on the feature map the model pools (for the original network, the
#' class activation map). Each photo is opened as [score_photos()] opens it,
#' scored, and its map written as a PNG overlay: the bright parts pushed the
#' score towards the side shown.
#'
#' @inheritParams photoq_parameters
#' @param run A `photoq_run` or a run folder.
#' @param photos A folder (searched recursively), one photo, or a character
#'   vector of photos.
#' @param out Folder for the overlays, or `NULL` for `explain/` in the run
#'   folder.
#' @param target Which side to show: `"decision"` (good for a keeper, bad for
#'   a reject; for a photo in review, the side of the max-F1 threshold),
#'   `"good"` or `"bad"`.
#' @param checkpoint `"best"`, `"latest"`, or a batch number.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @return A data frame of path, score, decision (keep, review or reject, as
#'   [score_photos()] and [evaluate_model()] give it by score), explained (the side shown),
#'   peak_x and peak_y (where the map is hottest: fractions of the width from
#'   the left and of the height from the top), overlay (the PNG file) and
#'   reason (with a booster, the features that moved the score most, in words,
#'   as [score_photos()] says them).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   maps <- explain_photos(run, file.path(photos, "bad"), out = tempfile("maps"))
#'   head(maps)
#' }
#' }
explain_photos <- function(run, photos, out = NULL, target = "decision", threshold = NULL,
                           checkpoint = "best", progress = NULL) {
  if (!is.character(photos) || !length(photos) || anyNA(photos)) {
    photoq_stop("`photos` must be a folder, a photo or a character vector of photos, got ",
                deparse_short(photos))
  }
  photos <- if (length(photos) == 1 && dir.exists(photos)) {
    check_path(photos, "photos")
  } else {
    check_strings(normalizePath(path.expand(photos), winslash = "/", mustWork = FALSE), "photos")
  }
  table <- call_photoq(
    "explain_photos",
    run = check_path(run, "run"),
    photos = photos,
    out = if (is.null(out)) NULL else check_path(out, "out"),
    target = check_string(target, "target"),
    threshold = check_number(threshold, "threshold", null_ok = TRUE),
    checkpoint = check_checkpoint(checkpoint),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  )
  columns_to_df(from_python("to_plain", table))
}

#' One HTML report of an evaluation
#'
#' Evaluates `run` on `split` and writes one self-contained HTML file (images
#' inline, no script, nothing fetched): the metrics, the threshold and how it
#' was chosen, the photos it got most wrong and those it is most sure about
#' with their activation maps and facts, the ROC curve, the training history,
#' the contact sheet, the bias report and the run's settings.
#'
#' @inheritParams evaluate_model
#' @param file The HTML file, or `NULL` for
#'   `report/report-<split>-<checkpoint>.html` in the run folder.
#' @return The path of the HTML file, invisibly.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   html <- report(run, file = tempfile(fileext = ".html"))
#'   # utils::browseURL(html)
#' }
#' }
report <- function(run, file = NULL, split = "test", threshold = NULL, keep_recall = NULL,
                   checkpoint = "best", cache = NULL, progress = NULL) {
  path <- call_photoq(
    "report",
    run = check_path(run, "run"),
    file = if (is.null(file)) NULL else check_path(file, "file"),
    split = check_string(split, "split"),
    threshold = check_number(threshold, "threshold", null_ok = TRUE),
    keep_recall = check_number(keep_recall, "keep_recall", null_ok = TRUE),
    checkpoint = check_checkpoint(checkpoint),
    cache = if (is.null(cache)) NULL else check_path(cache, "cache"),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  )
  invisible(from_python("to_plain", path))
}

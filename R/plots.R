# Pictures drawn with ggplot2 from the tables pyphotoq computes (pyphotoq.reporting.plotdata): Python's
# matplotlib pictures and these draw the same rows, positions, colours and captions.

#' The tables a picture draws
#'
#' Each picture of photoq is drawn from tables computed once, by
#' `pyphotoq.reporting.plotdata`; Python's matplotlib plots and R's ggplot2 plots both draw
#' exactly these rows. `roc_plot_data()` gives `curve` (fpr, tpr, threshold:
#' a step line) and `point` (the operating point at the threshold);
#' `history_plot_data()` gives `series` (batch, value, panel, series, kind,
#' colour: one row per drawn point) and `best` (the best checkpoint);
#' `contact_sheet_data()` gives `tiles` (one row per photo shown: rank, hash,
#' cached, label, predicted, score, correct, caption, frame, side, its cell and
#' image box on the sheet), `separator` (the line at the threshold) and `frames`
#' (the legend of frame colours). Each also has `labels` (title and texts).
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param run A `photoq_run` or a run folder.
#' @param n_top,n_bottom How many of the highest and lowest scores to show;
#'   every misclassified photo is shown as well.
#' @param columns Photos per row.
#' @return A list of data frames and `labels` (a list of strings).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run)
#'   roc_plot_data(result)$point
#'   head(history_plot_data(run)$series)
#'   contact_sheet_data(result)$tiles[, c("rank", "caption", "frame", "side")]
#' }
#' }
roc_plot_data <- function(result) {
  check_evaluation(result)
  plot_tables(call_photoq("roc_plot_data", result = evaluation_json(result)))
}

#' @rdname roc_plot_data
#' @export
history_plot_data <- function(run) {
  plot_tables(call_photoq("history_plot_data", run = check_path(run, "run")))
}

#' @rdname roc_plot_data
#' @export
contact_sheet_data <- function(result, n_top = 13, n_bottom = 12, columns = 5) {
  check_evaluation(result)
  plot_tables(call_photoq(
    "contact_sheet_data",
    result = evaluation_json(result),
    n_top = check_whole(n_top, "n_top", min = 0),
    n_bottom = check_whole(n_bottom, "n_bottom", min = 0),
    columns = check_whole(columns, "columns", min = 1)
  ))
}

# A dict of tables and labels from Python as a list of data frames and strings.
plot_tables <- function(x) {
  plain <- from_python("to_plain", x)
  lapply(plain, function(part) {
    if (is.list(part) && all(c("columns", "types", "data") %in% names(part))) {
      columns_to_df(part)
    } else {
      part
    }
  })
}

# An evaluation as JSON for Python (pyphotoq.reporting.plotdata.evaluation_from_plain). Doubles
# travel as text with 17 significant digits, so every score reaches Python exactly.
evaluation_json <- function(result) {
  x <- unclass(result)
  table <- function(df) {
    doubles <- names(df)[vapply(df, is.double, logical(1))]
    columns <- lapply(df, function(v) if (is.double(v)) exact_text(v) else v)
    list(columns = columns, doubles = I(doubles))
  }
  x$roc <- table(x$roc)
  x$predictions <- table(x$predictions)
  for (name in c("threshold", "auc", "accuracy", "f1", "share_positive")) {
    x[[name]] <- exact_text(x[[name]])
  }
  structure(
    as.character(jsonlite::toJSON(x, auto_unbox = TRUE, na = "null", null = "null",
                                  dataframe = "columns")),
    class = "photoq_json"
  )
}

exact_text <- function(x) {
  out <- ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
  out[is.infinite(x)] <- ifelse(x[is.infinite(x)] > 0, "inf", "-inf")
  I(out) # a list in JSON even when there is one value
}

# ---- ROC -----------------------------------------------------------------------

#' Plot the ROC curve of an evaluation (ggplot2)
#'
#' A step line of true against false positive rate, the diagonal for reference,
#' the operating point at the result's threshold, and the AUC, drawn from
#' [roc_plot_data()] (the table Python's `plot_roc` draws). `plot(result)` and
#' `ggplot2::autoplot(result)` do the same.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param file A picture file to write (PNG, PDF, ... from its extension), or
#'   `NULL`.
#' @return A ggplot object (invisibly when `file` is given).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run)
#'   p <- plot_roc(result)
#'   p + ggplot2::theme_bw()
#'   plot_roc(result, file = tempfile(fileext = ".png"))
#' }
#' }
plot_roc <- function(result, file = NULL) {
  check_evaluation(result)
  data <- roc_plot_data(result)
  labels <- data$labels
  p <- ggplot2::ggplot() +
    ggplot2::geom_abline(intercept = 0, slope = 1, linetype = "dashed", colour = "grey50") +
    ggplot2::coord_fixed(xlim = c(0, 1), ylim = c(0, 1), expand = FALSE, clip = "off") +
    ggplot2::labs(title = labels$title, subtitle = labels$subtitle, x = labels$x, y = labels$y) +
    ggplot2::theme_minimal(base_size = 11)
  if (nrow(data$curve)) {
    p <- p + ggplot2::geom_step(ggplot2::aes(x = .data$fpr, y = .data$tpr), data = data$curve,
                                direction = "hv", colour = labels$colour, linewidth = 1)
  }
  if (nrow(data$point)) {
    point <- data$point
    point$hjust <- ifelse(point$fpr > 0.6, 1.05, -0.05)
    point$vjust <- ifelse(point$tpr < 0.15, -0.3, 1.2)
    p <- p +
      ggplot2::geom_point(ggplot2::aes(x = .data$fpr, y = .data$tpr), data = point, size = 3) +
      ggplot2::geom_text(ggplot2::aes(x = .data$fpr, y = .data$tpr, label = .data$label,
                                      hjust = .data$hjust, vjust = .data$vjust),
                         data = point, size = 3.2, lineheight = 0.95)
  }
  save_plot(p, file, width = 5.2, height = 5.6)
}

# ---- history -------------------------------------------------------------------

#' Plot a run's training history (ggplot2)
#'
#' Two panels by batch: loss (training per batch, its moving average, and
#' validation), and accuracy and quality (training accuracy moving average,
#' validation accuracy, AUC and F1), with the best checkpoint marked; drawn
#' from [history_plot_data()] (the table Python's `plot_history` draws).
#' `plot(run)` and `ggplot2::autoplot(run)` do the same.
#'
#' @param run A `photoq_run` or a run folder.
#' @param file A picture file to write, or `NULL`.
#' @return A ggplot object (invisibly when `file` is given).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   plot_history(run)
#'   plot_history(run, file = tempfile(fileext = ".png"))
#' }
#' }
plot_history <- function(run, file = NULL) {
  data <- history_plot_data(run)
  series <- data$series
  labels <- data$labels
  panels <- c("Loss", "Accuracy and quality")
  series$panel <- factor(series$panel, levels = panels)
  order <- unique(series[order(series$order), c("series", "colour")])
  series$series <- factor(series$series, levels = order$series)
  colours <- stats::setNames(order$colour, order$series)
  p <- ggplot2::ggplot(series, ggplot2::aes(x = .data$batch, y = .data$value, colour = .data$series)) +
    ggplot2::facet_wrap(ggplot2::vars(.data$panel), ncol = 1, scales = "free_y", drop = FALSE) +
    ggplot2::scale_colour_manual(values = colours, name = NULL) +
    ggplot2::labs(title = labels$title, x = labels$x, y = NULL) +
    ggplot2::theme_minimal(base_size = 11)
  kinds <- list(
    faint = list(alpha = 0.25, linewidth = 0.3, points = FALSE),
    line = list(alpha = 1, linewidth = 0.9, points = FALSE),
    points = list(alpha = 1, linewidth = 0.6, points = TRUE)
  )
  for (kind in names(kinds)) {
    rows <- series[series$kind == kind, , drop = FALSE]
    if (!nrow(rows)) next
    style <- kinds[[kind]]
    p <- p + ggplot2::geom_line(data = rows, alpha = style$alpha, linewidth = style$linewidth)
    if (style$points) p <- p + ggplot2::geom_point(data = rows, size = 1.6)
  }
  if (nrow(data$best)) {
    p <- p + ggplot2::geom_vline(ggplot2::aes(xintercept = .data$batch, linetype = .data$label),
                                 data = data$best, colour = "black") +
      ggplot2::scale_linetype_manual(values = "dotted", name = NULL)
  }
  if (nzchar(labels$empty %||% "")) {
    p <- p + ggplot2::annotate("text", x = 0.5, y = 0.5, label = labels$empty, colour = "grey40")
  }
  save_plot(p, file, width = 9, height = 6.4)
}

# ---- shared --------------------------------------------------------------------

# Write `plot` to `file` when given (returning it invisibly), else return it.
save_plot <- function(plot, file, width, height) {
  if (is.null(file)) {
    return(plot)
  }
  file <- check_path(file, "file")
  dir.create(dirname(file), recursive = TRUE, showWarnings = FALSE)
  ggplot2::ggsave(file, plot, width = width, height = height, dpi = 120, bg = "white")
  invisible(plot)
}

#' @importFrom ggplot2 autoplot .data
#' @export
ggplot2::autoplot

#' @rdname plot_roc
#' @param object,x A `photoq_evaluation`.
#' @param ... Unused.
#' @method autoplot photoq_evaluation
#' @export
autoplot.photoq_evaluation <- function(object, ...) plot_roc(object)

#' @rdname plot_roc
#' @export
plot.photoq_evaluation <- function(x, ...) {
  p <- plot_roc(x)
  print(p)
  invisible(p)
}

#' @rdname plot_history
#' @param object,x A `photoq_run`.
#' @param ... Unused.
#' @method autoplot photoq_run
#' @export
autoplot.photoq_run <- function(object, ...) plot_history(object)

#' @rdname plot_history
#' @export
plot.photoq_run <- function(x, ...) {
  p <- plot_history(x)
  print(p)
  invisible(p)
}

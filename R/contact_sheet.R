#' Contact sheet of an evaluation (ggplot2)
#'
#' The `n_top` best- and `n_bottom` worst-scoring photos of an evaluation and
#' every misclassified one, best first, each captioned with its rank, score
#' (three decimals) and true label. Photos called good come first; a line at
#' the threshold parts them from those called bad. Frames show which photos are
#' misclassified (red) or correct (grey), with a legend. The photos are read
#' from the cache with the 'jpeg' package; their places, captions and frames
#' come from [contact_sheet_data()], the table Python's `contact_sheet` draws.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param file A picture file to write (PNG, PDF, ... from its extension), or
#'   `NULL`.
#' @param n_top,n_bottom How many of the highest and lowest scores to show.
#' @param columns Photos per row.
#' @return A ggplot object (invisibly when `file` is given).
#' @export
#' @examples
#' \donttest{
#' if (photoq_available() && requireNamespace("jpeg", quietly = TRUE)) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run, split = "train")
#'   contact_sheet(result, file = tempfile(fileext = ".png"))
#' }
#' }
contact_sheet <- function(result, file = NULL, n_top = 13, n_bottom = 12, columns = 5) {
  check_evaluation(result)
  if (!requireNamespace("jpeg", quietly = TRUE)) {
    photoq_stop("contact_sheet() needs the jpeg package: install.packages(\"jpeg\")")
  }
  data <- contact_sheet_data(result, n_top = n_top, n_bottom = n_bottom, columns = columns)
  tiles <- data$tiles
  if (!nrow(tiles)) {
    photoq_stop("Nothing to show: no predictions, or n_top and n_bottom are both 0 ",
                "and nothing is misclassified")
  }
  labels <- data$labels
  frames <- data$frames
  tiles$frame <- factor(tiles$frame, levels = frames$frame)
  p <- ggplot2::ggplot(tiles)
  unreadable <- tiles[0, , drop = FALSE]
  for (i in seq_len(nrow(tiles))) {
    tile <- tiles[i, ]
    image <- read_tile(tile$cached)
    if (is.null(image)) {
      unreadable <- rbind(unreadable, tile)
      next
    }
    p <- p + ggplot2::annotation_raster(image, xmin = tile$xmin, xmax = tile$xmax,
                                        ymin = tile$ymin, ymax = tile$ymax, interpolate = TRUE)
  }
  separator <- data$separator
  p <- p +
    ggplot2::geom_rect(ggplot2::aes(xmin = .data$xmin, xmax = .data$xmax, ymin = .data$ymin,
                                    ymax = .data$ymax, colour = .data$frame,
                                    linewidth = .data$frame), fill = NA) +
    ggplot2::geom_text(ggplot2::aes(x = .data$x, y = .data$y_caption, label = .data$caption,
                                    fontface = ifelse(.data$correct, "plain", "bold")),
                       colour = ifelse(tiles$correct, "black", frames$colour[1]), size = 2.8) +
    ggplot2::geom_segment(ggplot2::aes(x = .data$x, xend = .data$xend, y = .data$y, yend = .data$yend),
                          data = separator, colour = "grey20", linewidth = 0.9) +
    ggplot2::geom_label(ggplot2::aes(x = .data$xend, y = .data$y, label = .data$label),
                        data = separator, hjust = 1, vjust = 0, size = 2.8, colour = "grey20",
                        label.size = 0, fill = "white") +
    ggplot2::scale_colour_manual(values = stats::setNames(frames$colour, frames$frame),
                                 name = "frame", drop = FALSE) +
    ggplot2::scale_linewidth_manual(values = stats::setNames(frames$linewidth / 2, frames$frame),
                                    name = "frame", drop = FALSE) +
    ggplot2::coord_fixed(xlim = c(0, labels$xmax), ylim = c(labels$ymin, labels$ymax),
                         expand = FALSE) +
    ggplot2::labs(title = labels$title, subtitle = labels$subtitle) +
    ggplot2::theme_void(base_size = 10) +
    ggplot2::theme(legend.position = "bottom", plot.margin = ggplot2::margin(6, 6, 6, 6))
  if (nrow(unreadable)) {
    p <- p + ggplot2::geom_text(ggplot2::aes(x = .data$x, y = (.data$ymin + .data$ymax) / 2),
                                data = unreadable, label = "cannot read", size = 2.6)
  }
  save_plot(p, file, width = 2 * labels$xmax + 0.2, height = 2 * (labels$ymax - labels$ymin) + 1.3)
}

read_tile <- function(path) {
  tryCatch({
    if (grepl("\\.png$", path, ignore.case = TRUE)) png::readPNG(path) else jpeg::readJPEG(path)
  }, error = function(e) NULL)
}

#' Contact sheet of the highest- and lowest-scoring photos (base graphics)
#'
#' The `n_top` best-scoring and `n_bottom` worst-scoring photos of an
#' evaluation in a grid of `columns` (5 x 5 for the default 13 + 12), read from the cache
#' with the 'jpeg' package and drawn with [graphics::rasterImage()]; each is
#' captioned with its score and label, and misclassified ones are outlined in
#' red.
#'
#' @param result A `photoq_evaluation` from [evaluate_model()].
#' @param file A PNG file to write, or `NULL` to draw on the current device.
#' @param n_top,n_bottom How many of the highest and lowest scores to show.
#' @param columns Photos per row.
#' @return `file` when given, else `result`, invisibly.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available() && requireNamespace("jpeg", quietly = TRUE)) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   result <- evaluate_model(run, split = "train")
#'   contact_sheet(result, file = tempfile(fileext = ".png"))
#' }
#' }
contact_sheet <- function(result, file = NULL, n_top = 13, n_bottom = 12, columns = 5) {
  check_evaluation(result)
  n_top <- check_whole(n_top, "n_top", min = 0)
  n_bottom <- check_whole(n_bottom, "n_bottom", min = 0)
  columns <- check_whole(columns, "columns", min = 1)
  if (!requireNamespace("jpeg", quietly = TRUE)) {
    photoq_stop("contact_sheet() needs the jpeg package: install.packages(\"jpeg\")")
  }
  shown <- sheet_rows(result$predictions, n_top, n_bottom)
  if (!nrow(shown)) {
    photoq_stop("Nothing to show: no predictions, or n_top and n_bottom are both 0")
  }
  rows <- as.integer(ceiling(nrow(shown) / columns))
  written <- with_png(file, width = 200 * columns, height = 175 * rows + 60,
                      draw_sheet(result, shown, rows, columns))
  invisible(if (is.null(file)) result else written)
}

# The rows to show: best first, then worst (lowest last); each photo once.
sheet_rows <- function(predictions, n_top, n_bottom) {
  p <- predictions[order(-predictions$score), , drop = FALSE]
  n <- nrow(p)
  if (n <= n_top + n_bottom) {
    keep <- seq_len(n)
  } else {
    keep <- c(seq_len(n_top), if (n_bottom) seq(n - n_bottom + 1, n) else integer())
  }
  out <- p[keep, , drop = FALSE]
  out$rank <- keep
  out$group <- ifelse(seq_along(keep) <= n_top, "top", "bottom")
  rownames(out) <- NULL
  out
}

draw_sheet <- function(result, shown, rows, columns) {
  old <- graphics::par(mfrow = c(rows, columns), mar = c(0.3, 0.3, 1.6, 0.3), oma = c(0, 0, 3, 0))
  on.exit(graphics::par(old))
  for (i in seq_len(nrow(shown))) {
    photo <- shown[i, ]
    graphics::plot.new()
    graphics::plot.window(xlim = c(0, 1), ylim = c(0, 1), asp = 1)
    image <- tryCatch(jpeg::readJPEG(photo$cached), error = function(e) NULL)
    wrong <- !isTRUE(photo$correct)
    if (is.null(image)) {
      graphics::text(0.5, 0.5, "image missing", cex = 0.8)
      box <- c(0, 0, 1, 1)
    } else {
      height <- dim(image)[1]
      width <- dim(image)[2]
      scale <- 1 / max(height, width)
      w <- width * scale
      h <- height * scale
      box <- c((1 - w) / 2, (1 - h) / 2, (1 + w) / 2, (1 + h) / 2)
      graphics::rasterImage(image, box[1], box[2], box[3], box[4], interpolate = TRUE)
    }
    if (wrong) {
      graphics::rect(box[1], box[2], box[3], box[4], border = "red", lwd = 4)
    }
    graphics::title(
      main = sprintf("#%d  %.3f %s", photo$rank, photo$score, photo$label),
      cex.main = 0.9, font.main = if (wrong) 2 else 1, col.main = if (wrong) "red" else "black"
    )
  }
  top <- sum(shown$group == "top")
  bottom <- sum(shown$group == "bottom")
  graphics::mtext(
    sprintf("%s split (%d photos): AUC %s, threshold %.2f (%s)", result$split, result$n_photos,
            if (is.na(result$auc)) "n/a" else sprintf("%.3f", result$auc), result$threshold,
            result$threshold_rule),
    outer = TRUE, line = 1.6, cex = 0.85
  )
  graphics::mtext(
    paste0(if (bottom) sprintf("the %d highest scores, then the %d lowest", top, bottom)
           else sprintf("%d photos by score", top),
           "; rank, score and true label on each; red frame: misclassified"),
    outer = TRUE, line = 0.4, cex = 0.75
  )
}

#' Review a culled shoot in the browser
#'
#' Opens photoq's review page for a shoot: a grid of the photos by scene and
#' burst with photoq's decision, stars and score on each; a compare view of the
#' shots of a burst side by side, zoomed to 100% on the sharpest region with the
#' zoom kept in step while you step through them; keys for everything (P keep,
#' X reject, U back to review, 0-5 stars, arrows, Space compare, Z zoom, M the
#' network's map, Ctrl+Z undo, ? for the list). The page is the same one
#' `pyphotoq review` serves: Python serves it on 127.0.0.1 at a free port, with
#' a random token in its URL, and R opens it with [utils::browseURL()].
#'
#' The shoot is scored with the run (as [score_photos()] scores it), or, when a
#' review of it wrote its table before, that table is read back, so a review
#' resumes where it stopped. Every decision is written at once to the table (its
#' `rule` then says "you (review page)") and, with `xmp = TRUE`, to the photos'
#' XMP sidecars through the undo journal ([undo_sidecars()] steps back one
#' decision at a time). R waits until the page's Done button (or an interrupt);
#' with `learn = TRUE` or the page's "Done and learn", the decisions then go to
#' [learn_corrections()].
#'
#' @inheritParams photoq_parameters
#' @param run A `photoq_run` or a run folder.
#' @param photos The shoot: a folder of photos (any depth), a photo, or a
#'   character vector of photos and folders.
#' @param table The scores table (CSV) the decisions go to; `NULL`:
#'   `RUN/review/<folder>-<8 hex>.csv`.
#' @param xmp Also write each decision into the photos' XMP sidecars.
#' @param learn Learn from the decisions when the review ends.
#' @param browser `TRUE` to open the page with [utils::browseURL()], `FALSE` to
#'   only print its URL, or a function called with the URL.
#' @param checkpoint `"best"`, `"latest"`, or a batch number.
#' @param progress Show progress bars: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @return The scores table with your decisions, as a data frame.
#' @seealso [score_photos()], [learn_corrections()], [undo_sidecars()].
#' @export
#' @examples
#' \dontrun{
#' review(run, "~/Pictures/trip", xmp = TRUE)
#' }
review <- function(run, photos, table = NULL, xmp = FALSE, learn = FALSE, browser = TRUE, port = 0,
                   checkpoint = "best", progress = NULL) {
  opener <- if (is.function(browser)) {
    browser
  } else if (check_flag(browser, "browser")) {
    function(url) utils::browseURL(url)
  }
  if (!is.null(opener)) {
    open_page <- opener
    opener <- function(url) {
      if (inherits(url, "python.builtin.object")) url <- reticulate::py_to_r(url)
      open_page(as.character(url))
      invisible(NULL)
    }
  }
  table <- call_photoq(
    "review",
    run = check_path(run, "run"),
    photos = check_paths(photos, "photos"),
    table = if (is.null(table)) NULL else check_path(table, "table"),
    xmp = check_flag(xmp, "xmp"),
    learn = check_flag(learn, "learn"),
    browser = if (is.null(opener)) FALSE else reticulate::r_to_py(opener),
    port = check_whole(port, "port"),
    checkpoint = check_checkpoint(checkpoint),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  )
  columns_to_df(from_python("table_columns", table))
}

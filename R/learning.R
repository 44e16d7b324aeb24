#' Learn from the photos you sorted after culling
#'
#' After [score_photos()], move the photos of the shoot into `good/` and `bad/`
#' subfolders (or edit the `decision` column of the scores table). This adds
#' them to the run's cache (new photos to its training split; photos already
#' cached take the corrected label; later [build_cache()] calls keep them), trains
#' `batches` more batches from the run's best checkpoint, fits its booster again,
#' and says the validation AUC of the run's scores before and after. Every
#' checkpoint is kept and the best is chosen over all of them, so a continuation
#' that does not help leaves the best checkpoint as it was. The booster is fitted
#' again, so validation AUC can go down (the summary says so); deleting the
#' cache's `corrections.csv`, then [build_cache()] and [train_model()] again,
#' takes learning back. Learning again from the same folder replaces what was
#' learned from it before.
#'
#' @param run A `photoq_run` or a run folder (trained).
#' @param photos The culled shoot with the photos sorted into `good/` and `bad/`
#'   (the run's class names; one of them is enough), a CSV of path,label, or the
#'   scores table written from [score_photos()] with its `decision` column edited
#'   (every `"keep"` row learns as good and every `"reject"` row as bad, in any
#'   case, the class names too; `"review"` and `"skipped"` rows are left out);
#'   or the shoot itself, without class folders, after you re-rated the sidecars
#'   of [score_photos()]`(xmp = TRUE)` in darktable, digiKam or Lightroom: photos
#'   whose rating or pick now differs from photoq's decision are the
#'   corrections, unchanged ones the shoot as accepted.
#'   Files not there, unreadable photos and unknown decisions are each said in
#'   one line and left out.
#' @param batches Batches to train from the best checkpoint (`NULL`: two of the
#'   recipe's validation intervals).
#' @param progress Show progress bars: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param verbose Print the one-line summary.
#' @return A one-row data frame: photos (read), added (new to the cache),
#'   relabelled (cached photos whose label changed), training_photos (now),
#'   from_batch, to_batch, best_batch_before, best_batch_after,
#'   validation_auc_before and validation_auc_after; the summary line in
#'   `attr(, "summary")`.
#' @seealso [ask_photos()] for the photos to label first.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 60, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE,
#'                        split = splitting(fractions = c(0.6, 0.2, 0.2)))
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   shoot <- make_demo_photos(tempfile("shoot"), n_photos = 12, size = c(128, 96), seed = 3)
#'   learned <- learn_corrections(run, shoot, batches = 10)
#'   learned[, c("validation_auc_before", "validation_auc_after")]
#' }
#' }
learn_corrections <- function(run, photos, batches = NULL, progress = NULL, verbose = TRUE) {
  table <- call_photoq(
    "learn_corrections",
    run = check_path(run, "run"),
    photos = check_path(photos, "photos"),
    batches = check_whole(batches, "batches", null_ok = TRUE),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    verbose = check_flag(verbose, "verbose")
  )
  result <- from_python("learn_result", table)
  learned <- columns_to_df(result$table)
  attr(learned, "summary") <- result$summary
  learned
}

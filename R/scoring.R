#' Score a folder of new photos
#'
#' Scores every photo below `photos` (no labels needed), streamed from the
#' source files. The threshold is `threshold`, else the one keeping
#' `keep_recall` of the good photos on validation, else the F1-maximising one
#' chosen on validation (from the validation scores stored in the run folder:
#' the cache is not needed). A run with a booster (see [train_model()])
#' compares each photo with its scene among the photos scored together (taken
#' within 30 s of each other, or looking alike): score a whole shoot at once.
#'
#' @param run A `photoq_run` or a run folder.
#' @param photos A folder of photos (searched recursively).
#' @param threshold A score threshold, or `NULL` to choose one on validation.
#' @param keep_recall Share of good validation photos to keep when choosing the
#'   threshold, or `NULL` (maximise F1).
#' @param checkpoint `"best"` (by validation AUC), `"latest"`, or a batch number.
#' @param batch_size Photos per batch.
#' @param workers Threads that open photos, `NULL` for one per CPU.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param client Score on a Dask cluster: `"local:N"`, a scheduler address or a
#'   Python `distributed.Client` (see [build_cache()]); each worker loads the
#'   model once, and the table is the one local scoring gives. `NULL` scores here.
#' @return A data frame of path, score, decision (`"keep"`, `"reject"`, or
#'   `"skipped"` with the reason in `reason` and an `NA` score), best first,
#'   with the threshold applied in `attr(, "threshold")`.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   new <- make_demo_photos(tempfile("new"), n_photos = 6, size = c(128, 96), seed = 1)
#'   scores <- score_photos(run, new)
#'   head(scores)
#'   attr(scores, "threshold")
#' }
#' }
score_photos <- function(run, photos, threshold = NULL, keep_recall = NULL, checkpoint = "best",
                         batch_size = 16, workers = NULL, progress = NULL, client = NULL) {
  table <- call_photoq(
    "score_photos",
    run = check_path(run, "run"),
    photos = check_path(photos, "photos"),
    threshold = check_share(threshold, "threshold", zero_ok = TRUE),
    keep_recall = check_share(keep_recall, "keep_recall", zero_ok = FALSE),
    checkpoint = check_checkpoint(checkpoint),
    batch_size = check_whole(batch_size, "batch_size", min = 1),
    workers = check_whole(workers, "workers", null_ok = TRUE, min = 1),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    client = check_client(client)
  )
  result <- from_python("score_result", table)
  scores <- columns_to_df(result$table)
  attr(scores, "threshold") <- num_or_na(result$threshold)
  scores
}

# NULL, or one number in [0, 1] (or (0, 1] without zero_ok), else an error naming the argument.
check_share <- function(x, name, zero_ok, call = sys.call(-1)) {
  x <- check_number(x, name, null_ok = TRUE, call = call)
  if (!is.null(x) && (x > 1 || x < 0 || (!zero_ok && x == 0))) {
    photoq_stop("`", name, "` must be in ", if (zero_ok) "[0, 1]" else "(0, 1]", ", got ", x, call = call)
  }
  x
}

#' Score a folder of new photos
#'
#' Scores every photo below `photos` (no labels needed), streamed from the
#' source files, and culls them as `culling` says (see [culling()]): photos at
#' or above the keep line are kept, photos below the reject line rejected, the
#' rest go to review (the lines come from the validation scores stored in the
#' run folder: the cache is not needed). A run with a booster (see
#' [train_model()]) compares each photo with its scene among the photos scored
#' together (taken within 30 s of each other, or looking alike): score a whole
#' shoot at once.
#'
#' @inheritParams photoq_parameters
#' @param run A `photoq_run` or a run folder.
#' @param photos A folder of photos (searched recursively), one photo file, or a
#'   character vector of photo files and folders.
#' @param culling How scores become keep / review / reject: [culling()] (or a
#'   named list of its settings); `NULL` for its defaults.
#' @param checkpoint `"best"` (by validation AUC), `"latest"`, or a batch number.
#' @param batch_size Photos per batch.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param xmp Write each decision into XMP sidecars beside the photos (star
#'   rating, reject as rating -1, digiKam's pick label), which Lightroom,
#'   darktable and digiKam read; existing sidecars are merged and a journal is
#'   kept so that [undo_sidecars()] restores them. The photos are never written.
#' @param dry_run Plan the sidecars without writing anything.
#' @param replace_ratings With `xmp`: also replace star ratings and pick labels
#'   a person gave. By default they are kept, and photoq's decision goes into
#'   its own namespace only (the sidecars table's reason says what was kept).
#' @param client Score on a Dask cluster: `"local:N"`, a scheduler address or a
#'   Python `distributed.Client` (see [build_cache()]); each worker loads the
#'   model once, and the table is the one local scoring gives. `NULL` scores here.
#' @return A data frame, best first, of path, score, decision (`"keep"`,
#'   `"review"`, `"reject"`, or `"skipped"` with the reason in `reason` and an
#'   `NA` score), rule (which rule decided), rating and pick (what an XMP
#'   sidecar carries), margin (score minus the keep line), the measured facts,
#'   reason, taken, camera, and burst, best_in_burst, duplicate_of, sequence (a
#'   protected bracket or panorama) and pair (the other file of a RAW+JPEG pair).
#'   The keep line is in `attr(, "threshold")`, the reject line in
#'   `attr(, "reject_threshold")` (equal for one cut), how they were chosen in
#'   `attr(, "rule")`, and a note when the photos differ from the training photos
#'   in `attr(, "drift")`. With `xmp` or `dry_run`, `attr(, "sidecars")` is a
#'   data frame of every sidecar and what changes in it.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 40, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   run <- train_model(cache, tempfile("run"), batches = 20, validate_every = 10)
#'   new <- make_demo_photos(tempfile("new"), n_photos = 6, size = c(128, 96), seed = 1)
#'   scores <- score_photos(run, new)
#'   head(scores)
#'   attr(scores, "threshold")
#'   # the 3 best, or one cut keeping 95% of the keepers
#'   table(score_photos(run, new, culling(best = 3))$decision)
#'   attr(score_photos(run, new, culling(keep_recall = 0.95)), "rule")
#' }
#' }
score_photos <- function(run, photos, culling = NULL, checkpoint = "best", batch_size = 16,
                         workers = NULL, progress = NULL, client = NULL, xmp = FALSE,
                         dry_run = FALSE, replace_ratings = FALSE) {
  table <- call_photoq(
    "score_photos",
    run = check_path(run, "run"),
    photos = check_paths(photos, "photos"),
    culling = check_settings(culling, "culling", "culling"),
    checkpoint = check_checkpoint(checkpoint),
    batch_size = check_whole(batch_size, "batch_size"),
    workers = check_whole(workers, "workers", null_ok = TRUE),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    client = check_client(client),
    xmp = check_flag(xmp, "xmp"),
    dry_run = check_flag(dry_run, "dry_run"),
    replace_ratings = check_flag(replace_ratings, "replace_ratings")
  )
  result <- from_python("score_result", table)
  scores <- columns_to_df(result$table)
  attr(scores, "threshold") <- num_or_na(result$threshold)
  attr(scores, "reject_threshold") <- num_or_na(result$reject_threshold)
  attr(scores, "rule") <- result$rule
  attr(scores, "drift") <- result$drift
  if (!is.null(result$sidecars)) {
    attr(scores, "sidecars") <- columns_to_df(result$sidecars)
  }
  scores
}

#' How scores become keep, review and reject
#'
#' The culling settings that [score_photos()] and [ask_photos()] take, in one
#' object (Python's `pyphotoq.Culling`, which checks them: a wrong value is one
#' line naming the setting). By default the keep line is the lowest score at
#' which the validation photos are `keep_precision` good, the reject line keeps
#' `reject_recall` of the good validation photos above it, and the photos
#' between go to review.
#'
#' @inheritParams photoq_parameters
#' @return A `photoq_culling`: the settings as a named list, checked.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   culling(best = 20)
#'   culling(keep_precision = 0.95, weaker_in_burst = "reject")
#' }
#' }
culling <- function(keep_precision = 0.9, reject_recall = 0.95, threshold = NULL, keep_recall = NULL,
                    best = NULL, best_share = NULL, burst_seconds = 2, weaker_in_burst = "review") {
  checked <- call_photoq("Culling", keep_precision = keep_precision, reject_recall = reject_recall,
                         threshold = threshold, keep_recall = keep_recall, best = best,
                         best_share = best_share, burst_seconds = burst_seconds,
                         weaker_in_burst = weaker_in_burst)
  settings_object(checked, "culling")
}

#' Undo the XMP sidecars of the last scoring with `xmp = TRUE`
#'
#' Restores every sidecar the latest [score_photos()]`(xmp = TRUE)` on
#' `photos` wrote, byte for byte: a sidecar it created is removed, one it merged
#' into gets its old content back. A sidecar edited since (by another program)
#' is left as it is, with the reason. Each call undoes one more write, latest
#' first.
#'
#' @param target The folder that was scored (or its `.photoq-undo` journal, or
#'   one entry of it).
#' @return A data frame of sidecar, action (`"removed"`, `"restored"`,
#'   `"unchanged"` or `"refused"`), reason and journal.
#' @export
undo_sidecars <- function(target) {
  table <- call_photoq("undo_sidecars", check_path(target, "target"))
  columns_to_df(from_python("undo_result", table))
}

#' Propose the photos whose label would teach the model most
#'
#' Scores the photos below `photos` and returns the `n` scored closest to the
#' keep line (on the logit scale), at most one per scene (shots within 30 s of
#' each other) until every scene has given one: label these first (put them in
#' good/ or bad/), then learn from the sorted shoot with [learn_corrections()].
#'
#' @inheritParams photoq_parameters
#' @inheritParams score_photos
#' @param ... Passed to [score_photos()] (e.g. `culling = culling(keep_precision = 0.8)`, `client`).
#' @return A data frame of path, score, decision, margin (score minus the keep
#'   line), scene and why, the most uncertain first.
#' @export
ask_photos <- function(run, photos, n = 20, checkpoint = "best", progress = NULL, ...) {
  extra <- list(...)
  if (length(extra) && (is.null(names(extra)) || any(names(extra) == ""))) {
    photoq_stop("The arguments passed on to score_photos() must be named")
  }
  table <- do.call(call_photoq, c(list(
    "ask_photos",
    run = check_path(run, "run"),
    photos = check_path(photos, "photos"),
    n = check_whole(n, "n"),
    checkpoint = check_checkpoint(checkpoint),
    progress = check_flag(progress, "progress", null_ok = TRUE)
  ), extra))
  columns_to_df(from_python("table_columns", table))
}

# The shared image cache: built by pyphotoq, read here by R alone.

MANIFEST_COLUMNS <- c(
  "hash", "label", "split", "group", "original", "cached",
  "width", "height", "source_width", "source_height", "taken"
)
SKIPPED_COLUMNS <- c("path", "label", "reason")
CONFLICT_COLUMNS <- c("hash", "kind", "kept_label", "kept_path", "other_label", "other_path")
INTEGER_COLUMNS <- c("width", "height", "source_width", "source_height")
CACHE_FORMAT <- "photoq-cache"
CACHE_VERSION <- 1L

#' Build or update the image cache
#'
#' Resizes every photo once to `width` pixels wide (aspect ratio kept) into the
#' cache folder, with a manifest of labels and splits. Incremental: known files
#' are not read again, new ones are added, vanished ones dropped. Duplicates are
#' kept once ('good' wins); unusable files are listed in `skipped`.
#'
#' @param photos A folder with `positive`/`negative` subfolders, or a CSV file
#'   of `path,label`.
#' @param cache The cache folder (created if needed).
#' @param width Width in pixels of the cached images (at least 64).
#' @param positive,negative Names of the two classes (subfolders).
#' @param split_method `"hash"` (by content) or `"burst"` (keeps bursts of
#'   near-identical shots in one split).
#' @param split_fractions Training, validation and test shares (summing to 1).
#' @param burst_seconds Seconds between shots of one burst.
#' @param quality JPEG quality of the cached images.
#' @param workers Number of threads, `NULL` for one per CPU.
#' @param wait Seconds to wait for another build holding the cache.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal).
#' @param verbose Print what the build did.
#' @return A `photoq_cache` (see [open_cache()]) whose `build` element says what
#'   this build did.
#' @export
#' @examples
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96)
#'   cache
#'   summary(cache)
#' }
build_cache <- function(photos, cache, width = 480, positive = "good", negative = "bad",
                        split_method = "hash", split_fractions = c(0.8, 0.1, 0.1),
                        burst_seconds = 3, quality = 95, workers = NULL, wait = 0,
                        progress = NULL, verbose = TRUE) {
  if (!is.numeric(split_fractions) || length(split_fractions) != 3 || anyNA(split_fractions)) {
    photoq_stop("`split_fractions` must be three numbers, got ", deparse_short(split_fractions))
  }
  verbose <- check_flag(verbose, "verbose")
  handle <- call_photoq(
    "build_cache",
    photos = check_path(photos, "photos"),
    cache = check_path(cache, "cache"),
    width = check_whole(width, "width"),
    positive = check_string(positive, "positive"),
    negative = check_string(negative, "negative"),
    split_method = check_string(split_method, "split_method"),
    split_fractions = as.double(split_fractions), # three numbers: a Python list
    burst_seconds = check_number(burst_seconds, "burst_seconds"),
    quality = check_whole(quality, "quality", min = 1),
    workers = check_whole(workers, "workers", null_ok = TRUE, min = 1),
    wait = check_number(wait, "wait"),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    verbose = FALSE
  )
  result <- from_python("cache_result", handle)
  opened <- open_cache(result$path)
  opened$build <- result$build
  if (verbose && !is.null(result$build)) {
    message(result$build$text)
  }
  opened
}

#' Open an image cache (R alone, no Python)
#'
#' Reads a cache folder made by [build_cache()] with base R: `cache.json`
#' (format, version, width, classes, split rule) with 'jsonlite', and the
#' `manifest.csv`, `skipped.csv` and `conflicts.csv` tables with `read.csv`.
#'
#' @param cache The cache folder (or a `photoq_cache`).
#' @return A `photoq_cache`: a list with `path`, `info` (the parsed
#'   `cache.json`), and data frames `manifest` (columns hash, label, split,
#'   group, original, cached, width, height, source_width, source_height,
#'   taken; `cached` is relative to `path`), `skipped` (path, label, reason) and
#'   `conflicts` (hash, kind, kept_label, kept_path, other_label, other_path).
#' @seealso [read_cached_image()] for the images.
#' @export
#' @examples
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   folder <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)$path
#'   cache <- open_cache(folder)
#'   head(cache$manifest)
#'   table(cache$manifest$split, cache$manifest$label)
#' }
open_cache <- function(cache) {
  folder <- check_path(cache, "cache")
  info <- read_folder_info(folder, "cache.json", CACHE_FORMAT, CACHE_VERSION,
                           "cache", "build one with build_cache")
  structure(
    list(
      path = folder,
      info = info,
      manifest = read_table(file.path(folder, "manifest.csv"), MANIFEST_COLUMNS),
      skipped = read_table(file.path(folder, "skipped.csv"), SKIPPED_COLUMNS),
      conflicts = read_table(file.path(folder, "conflicts.csv"), CONFLICT_COLUMNS),
      build = NULL
    ),
    class = "photoq_cache"
  )
}

# A cache CSV as a data.frame of strings ("" stays ""), with the integer columns as integers.
read_table <- function(file, columns) {
  if (!file.exists(file)) {
    empty <- rep(list(character()), length(columns))
    names(empty) <- columns
    frame <- structure(empty, class = "data.frame", row.names = integer())
  } else {
    frame <- utils::read.csv(
      file, colClasses = "character", na.strings = character(), check.names = FALSE,
      stringsAsFactors = FALSE, encoding = "UTF-8"
    )
  }
  for (column in intersect(names(frame), INTEGER_COLUMNS)) {
    frame[[column]] <- as.integer(frame[[column]])
  }
  frame
}

as_cache <- function(cache) {
  if (inherits(cache, "photoq_cache")) cache else open_cache(cache)
}

#' @export
print.photoq_cache <- function(x, ...) {
  m <- x$manifest
  counts <- table(factor(m$split, levels = intersect(c("test", "train", "validation"), unique(m$split))),
                  m$label)
  parts <- character()
  for (s in rownames(counts)) {
    for (l in colnames(counts)) {
      if (counts[s, l] > 0) parts <- c(parts, sprintf("%s/%s: %d", s, l, counts[s, l]))
    }
  }
  cat(sprintf("<photoq cache %s %s %d photos (%s)>\n", x$path, middle_dot(), nrow(m), paste(parts, collapse = ", ")))
  if (nrow(x$skipped)) cat(sprintf("  %d files skipped (see $skipped)\n", nrow(x$skipped)))
  if (nrow(x$conflicts)) cat(sprintf("  %d duplicates or label conflicts (see $conflicts)\n", nrow(x$conflicts)))
  invisible(x)
}

#' @export
summary.photoq_cache <- function(object, ...) {
  m <- object$manifest
  splits <- factor(m$split, levels = c("train", "validation", "test"))
  labels <- factor(m$label, levels = c(object$info$classes$negative, object$info$classes$positive))
  structure(
    list(
      path = object$path,
      width = as.integer(object$info$views$overview$width),
      photos = nrow(m),
      counts = table(split = splits, label = labels),
      skipped = nrow(object$skipped),
      conflicts = nrow(object$conflicts)
    ),
    class = "summary.photoq_cache"
  )
}

#' @export
print.summary.photoq_cache <- function(x, ...) {
  cat(sprintf("photoq cache %s\n%d photos, %d px wide; %d skipped, %d duplicates or conflicts\n\n",
              x$path, x$photos, x$width, x$skipped, x$conflicts))
  print(x$counts)
  invisible(x)
}

#' Read a cached photo as an array (R alone, no Python)
#'
#' @param cache A `photoq_cache` or a cache folder.
#' @param photo Which photo: a row number of the manifest, a content hash, a
#'   `cached` path from the manifest, or an `original` path.
#' @return The image as a numeric array of height x width x 3 (RGB) in
#'   \[0, 1\], as [jpeg::readJPEG()] reads it.
#' @export
#' @examples
#' if (photoq_available() && requireNamespace("jpeg", quietly = TRUE)) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, verbose = FALSE)
#'   img <- read_cached_image(cache, 1)
#'   dim(img)
#'   plot(as.raster(img))
#' }
read_cached_image <- function(cache, photo) {
  if (!requireNamespace("jpeg", quietly = TRUE)) {
    photoq_stop("read_cached_image() needs the jpeg package: install.packages(\"jpeg\")")
  }
  cache <- as_cache(cache)
  m <- cache$manifest
  row <- NA_integer_
  if (is.numeric(photo) && length(photo) == 1) {
    row <- check_whole(photo, "photo", min = 1)
    if (row > nrow(m)) photoq_stop("The cache has ", nrow(m), " photos, not ", row)
  } else if (is.character(photo) && length(photo) == 1 && !is.na(photo)) {
    row <- match(photo, m$hash)
    if (is.na(row)) row <- match(photo, m$cached)
    if (is.na(row)) {
      wanted <- normalizePath(path.expand(photo), winslash = "/", mustWork = FALSE)
      row <- match(wanted, normalizePath(m$original, winslash = "/", mustWork = FALSE))
    }
    if (is.na(row)) photoq_stop("No photo ", photo, " in the cache ", cache$path)
  } else {
    photoq_stop("`photo` must be a row number, a hash or a path, got ", deparse_short(photo))
  }
  jpeg::readJPEG(file.path(cache$path, m$cached[row]))
}

# The JSON file that makes `folder` a photoq cache or run, checked for its format and version.
read_folder_info <- function(folder, file, format, version, kind, hint) {
  info_file <- file.path(folder, file)
  if (!file.exists(info_file)) {
    photoq_stop("No photoq ", kind, " at ", folder, ": ", file, " not found (", hint, ")")
  }
  info <- jsonlite::read_json(info_file, simplifyVector = TRUE)
  if (!identical(info$format, format) || as.integer(info$version %||% 0L) > version) {
    photoq_stop(info_file, " is not a photoq ", kind, " of format version <= ", version,
                " (found ", deparse_short(info$format), " version ",
                deparse_short(info$version), ")")
  }
  info
}

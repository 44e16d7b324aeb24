# The shared image cache: built by pyphotoq, read here by R alone.

# manifest.csv of format version 2; in memory, `cached` (the overview file) is added after
# `original`, derived from the hash by the one rule (view_file()).
MANIFEST_COLUMNS <- c(
  "hash", "label", "split", "group", "original",
  "width", "height", "source_width", "source_height", "taken"
)
SKIPPED_COLUMNS <- c("path", "label", "reason")
CONFLICT_COLUMNS <- c("hash", "kind", "kept_label", "kept_path", "other_label", "other_path")
INTEGER_COLUMNS <- c("width", "height", "source_width", "source_height")
PATH_COLUMNS <- c("original", "path", "kept_path", "other_path")
CACHE_FORMAT <- "photoq-cache"
CACHE_VERSION <- 2L
VIEW_EXTENSIONS <- c(jpeg = "jpg", png = "png")

#' Build or update the image cache
#'
#' Resizes every photo once to `width` pixels wide (aspect ratio kept) into the
#' cache folder, with a manifest of labels and splits. Incremental: known files
#' are not read again, new ones are added, vanished ones dropped. Duplicates are
#' kept once ('good' wins); unusable files are listed in `skipped`.
#'
#' @inheritParams photoq_parameters
#' @param photos A folder with `good/` and `bad/` subfolders, or a CSV file
#'   of `path,label`; with labels from ratings, the folder of your photos.
#' @param cache The cache folder (created if needed).
#' @param labels Where the labels come from. `NULL` (the default): class
#'   folders. Otherwise [labelling()] (or a named list of its settings), or its
#'   source alone: `"xmp"` for the ratings in XMP sidecars, or the path of a
#'   darktable, digiKam or Lightroom Classic catalogue; `photos` is then the
#'   folder of your rated photos.
#' @param split How the photos are split into train, validation and test:
#'   [splitting()] (or a named list of its settings), or its method alone
#'   (`"scene"`, `"burst"`, `"hash"`); `NULL` (the default): scenes kept
#'   together, 80/10/10.
#' @param progress Show a progress bar: `TRUE`, `FALSE`, or `NULL` (only on a
#'   terminal); then also what the build did, at the end (`FALSE` is silent).
#' @param verify How every cached file is checked: `"quick"` (present, its
#'   recorded size, and its checksum when its time stamp changed) or `"full"`
#'   (every checksum). Missing or damaged files are made again and reported.
#' @param detail Also keep the detail view: a few patches of every photo at
#'   native resolution (focus, shake, noise and compression show there), which
#'   the default recipe looks at beside the overview. On an existing cache only
#'   the patches are made; `FALSE` never removes a view already declared.
#' @param client Build on a Dask cluster: `"local:N"` (N worker processes on
#'   this machine), a scheduler address such as `"tcp://host:8786"`, or a Python
#'   `distributed.Client`; `NULL` (the default) builds here. The workers make the
#'   cached files, which they must see at the cache's path; the manifest is the
#'   one a local build makes. Needs the Dask extra (`pip install
#'   "pyphotoq[dask]"`). See [sweep_runs()].
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
build_cache <- function(photos, cache, width = 480, labels = NULL, split = NULL, quality = 95,
                        workers = NULL, wait = 0, progress = NULL, verify = "quick", detail = TRUE,
                        client = NULL) {
  args <- list(
    photos = check_path(photos, "photos"),
    cache = check_path(cache, "cache"),
    width = check_whole(width, "width"),
    labels = check_settings(labels, "labels", "labelling", string_ok = TRUE),
    split = check_settings(split, "split", "splitting", string_ok = TRUE),
    quality = check_whole(quality, "quality"),
    workers = check_whole(workers, "workers", null_ok = TRUE),
    wait = check_number(wait, "wait"),
    progress = check_flag(progress, "progress", null_ok = TRUE),
    verify = check_string(verify, "verify"),
    detail = check_flag(detail, "detail"),
    client = check_client(client)
  )
  photoq_python() # after the checks: a mistake there needs no Python
  # Python prints what the build did where progress shows; R says it as a message instead, under
  # the same rule (progress = FALSE is silent), so that suppressMessages() quiets it
  reticulate::py_capture_output(
    handle <- do.call(call_photoq, c(list("build_cache"), args, list(call = sys.call())), quote = TRUE),
    type = "stdout"
  )
  result <- from_python("cache_result", handle)
  opened <- open_cache(result$path)
  opened$build <- result$build
  if (!isFALSE(args$progress) && !is.null(result$build)) {
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
#'   `cache.json`), `views` (the names of the declared views), and data frames
#'   `manifest` (columns hash, label, split, group, original, cached, width,
#'   height, source_width, source_height, taken; `cached` is the overview's
#'   file relative to `path`, derived from the hash by the rule
#'   `views/<view>/<hh>/<hash>.<extension>`), `skipped` (path, label, reason)
#'   and `conflicts` (hash, kind, kept_label, kept_path, other_label,
#'   other_path). Every table is checked: a problem names the file, row and
#'   column. Caches of format version 1 are read as well.
#' @seealso [read_cached_image()] for the images.
#' @export
#' @examples
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   folder <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)$path
#'   cache <- open_cache(folder)
#'   head(cache$manifest)
#'   table(cache$manifest$split, cache$manifest$label)
#' }
open_cache <- function(cache) {
  folder <- check_path(cache, "cache")
  info <- read_folder_info(folder, "cache.json", CACHE_FORMAT, CACHE_VERSION,
                           "cache", "build one with build_cache")
  version <- as.integer(info$version)
  info <- check_views(info, file.path(folder, "cache.json"))
  structure(
    list(
      path = folder,
      info = info,
      views = names(info$views),
      manifest = read_manifest(folder, info, version),
      skipped = read_table(file.path(folder, "skipped.csv"), SKIPPED_COLUMNS, version),
      conflicts = read_table(file.path(folder, "conflicts.csv"), CONFLICT_COLUMNS, version),
      build = NULL
    ),
    class = "photoq_cache"
  )
}

# The declared views, checked; a version-1 declaration (`format`) read as `encoding`.
check_views <- function(info, file) {
  views <- info$views
  if (!is.list(views) || is.null(views$overview)) {
    photoq_stop(file, ": views must declare the 'overview' view")
  }
  for (name in names(views)) {
    spec <- views[[name]]
    if (!grepl("^[a-z][a-z0-9_-]{0,31}$", name)) {
      photoq_stop(file, ": view name ", deparse_short(name), " must be lower-case letters, digits, '-' or '_'")
    }
    encoding <- spec$encoding %||% spec$format %||% "jpeg"
    if (!is.character(encoding) || length(encoding) != 1 || !encoding %in% names(VIEW_EXTENSIONS)) {
      photoq_stop(file, ": view ", name, ": encoding must be jpeg or png, got ", deparse_short(encoding))
    }
    views[[name]]$encoding <- encoding
  }
  width <- views$overview$width
  if (!is.numeric(width) || length(width) != 1 || is.na(width) || width < 64 || width != round(width)) {
    photoq_stop(file, ": view overview: width must be a whole number >= 64, got ", deparse_short(width))
  }
  if (!is.character(info$id) || length(info$id) != 1 || !grepl("^[A-Za-z0-9_-]{1,64}$", info$id)) {
    photoq_stop(file, ": id must be a string of letters, digits, '-' or '_', got ", deparse_short(info$id))
  }
  info$views <- views
  info
}

#' The file of a photo's view in a cache (R alone, no Python)
#'
#' Every file of a cache is found by one rule:
#' `views/<view>/<hh>/<hash>.<extension>`, where `<hh>` is the first two
#' digits of the photo's hash and the extension follows the view's encoding
#' in `cache.json` (`jpg` for jpeg, `png` for png).
#'
#' @param cache A `photoq_cache` or a cache folder.
#' @param hash Content hashes (64 hex digits) from the manifest.
#' @param view The name of a view declared in the cache (see `cache$views`).
#' @return Absolute paths of the files.
#' @export
#' @examples
#' if (photoq_available()) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   view_file(cache, cache$manifest$hash[1])
#' }
view_file <- function(cache, hash, view = "overview") {
  cache <- as_cache(cache)
  view <- check_string(view, "view")
  file.path(cache$path, view_relative(hash, view, cache$info))
}

view_relative <- function(hash, view, info) {
  spec <- info$views[[view]]
  if (is.null(spec)) {
    photoq_stop("The cache has no view ", deparse_short(view), " (views: ",
                paste(names(info$views), collapse = ", "), ")")
  }
  bad <- !grepl("^[0-9a-f]{64}$", hash)
  if (any(bad)) photoq_stop("Not a photo hash (64 hex digits): ", deparse_short(hash[bad][1]))
  extension <- VIEW_EXTENSIONS[[spec$encoding]]
  if (!length(hash)) return(character())
  sprintf("views/%s/%s/%s.%s", view, substr(hash, 1, 2), hash, extension)
}

# manifest.csv, every row checked (named by file, row and column), with `cached` derived.
read_manifest <- function(folder, info, version) {
  file <- file.path(folder, "manifest.csv")
  m <- read_table(file, MANIFEST_COLUMNS, version)
  labels <- c(info$classes$positive, info$classes$negative)
  fail <- function(column, row, reason) {
    photoq_stop(file, " row ", row, ", column ", column, ": ",
                deparse_short(m[[column]][row]), " ", reason, call = NULL)
  }
  checks <- list(
    hash = list(grepl("^[0-9a-f]{64}$", m$hash), "is not a SHA-256 (64 hex digits)"),
    label = list(m$label %in% labels, paste("is not one of the classes", paste(labels, collapse = ", "))),
    split = list(m$split %in% c("train", "validation", "test"), "is not train, validation or test"),
    group = list(grepl("^[0-9a-f]{64}$", m$group), "is not a SHA-256 (64 hex digits)"),
    original = list(nzchar(m$original), "is empty")
  )
  for (column in names(checks)) {
    bad <- which(!checks[[column]][[1]])
    if (length(bad)) fail(column, bad[1], checks[[column]][[2]])
  }
  for (column in c("width", "height", "source_width", "source_height")) {
    bad <- which(is.na(m[[column]]) | m[[column]] <= 0)
    if (length(bad)) fail(column, bad[1], "is not a positive whole number")
  }
  derived <- view_relative(m$hash, "overview", info)
  if ("cached" %in% names(m)) {
    bad <- which(m$cached != derived)
    if (length(bad)) fail("cached", bad[1], "is not the overview file of the row's hash")
  }
  m$cached <- derived
  others <- setdiff(names(m), c(MANIFEST_COLUMNS[1:5], "cached"))
  m[, c(MANIFEST_COLUMNS[1:5], "cached", others), drop = FALSE]
}

# File names in the tables of format 2: `%XX` stands for a byte (see the README).
decode_paths <- function(x) {
  encoded <- grepl("%", x, fixed = TRUE)
  x[encoded] <- vapply(x[encoded], utils::URLdecode, "", USE.NAMES = FALSE)
  x
}

# A cache CSV as a data.frame of strings ("" stays ""), with the integer columns as integers;
# a damaged table is an error naming the file (and the row and column).
read_table <- function(file, columns, version = CACHE_VERSION) {
  if (!file.exists(file)) {
    empty <- rep(list(character()), length(columns))
    names(empty) <- columns
    return(structure(empty, class = "data.frame", row.names = integer()))
  }
  if (file.size(file) == 0) {
    photoq_stop(file, " is empty (0 bytes): expected a header line with ",
                paste(columns, collapse = ", "), call = NULL)
  }
  frame <- tryCatch(
    utils::read.csv(
      file, colClasses = "character", na.strings = character(), check.names = FALSE,
      stringsAsFactors = FALSE, encoding = "UTF-8"
    ),
    error = function(e) photoq_stop(file, " cannot be read as a table: ", conditionMessage(e), call = NULL),
    warning = function(w) photoq_stop(file, " cannot be read as a table: ", conditionMessage(w), call = NULL)
  )
  missing <- setdiff(columns, names(frame))
  if (length(missing)) {
    photoq_stop(file, " lacks the column", if (length(missing) > 1) "s", " ",
                paste(missing, collapse = ", "), call = NULL)
  }
  for (column in intersect(names(frame), INTEGER_COLUMNS)) {
    values <- suppressWarnings(as.integer(frame[[column]]))
    bad <- which(is.na(values) | values < 0 | as.character(values) != frame[[column]])
    if (length(bad)) {
      photoq_stop(file, " row ", bad[1], ", column ", column, ": ",
                  deparse_short(frame[[column]][bad[1]]), " is not a whole number >= 0", call = NULL)
    }
    frame[[column]] <- values
  }
  if (version >= 2) {
    for (column in intersect(names(frame), PATH_COLUMNS)) {
      frame[[column]] <- decode_paths(frame[[column]])
    }
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
#' @param view Which view of the photo (one of `cache$views`).
#' @return The image as a numeric array of height x width x 3 (RGB) in
#'   \[0, 1\], as [jpeg::readJPEG()] (or [png::readPNG()]) reads it. For the
#'   `"detail"` view (native-resolution patches, see the README), an array of
#'   patches x size x size x 3: `img[k, , , ]` is patch `k` (the centre first,
#'   then the most textured ones, then the smoothest).
#' @export
#' @examples
#' if (photoq_available() && requireNamespace("jpeg", quietly = TRUE)) {
#'   photos <- make_demo_photos(tempfile("photos"), n_photos = 12, size = c(128, 96))
#'   cache <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE)
#'   img <- read_cached_image(cache, 1)
#'   dim(img)
#'   plot(as.raster(img))
#' }
read_cached_image <- function(cache, photo, view = "overview") {
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
  file <- view_file(cache, m$hash[row], view)
  spec <- cache$info$views[[view]]
  img <- if (identical(spec$encoding, "png")) png::readPNG(file) else jpeg::readJPEG(file)
  if (identical(spec$make, "patches")) img <- split_patches(img, spec, file)
  img
}

# A detail file (patches stacked one under the other) as patches x size x size x 3.
split_patches <- function(img, spec, file) {
  size <- as.integer(spec$size)
  count <- as.integer(spec$patches)
  if (length(dim(img)) == 2) img <- array(img, c(dim(img), 3))
  if (!identical(dim(img)[1:2], c(size * count, size))) {
    photoq_stop(file, ": a detail image must be ", size, "x", size * count, " px, got ",
                dim(img)[2], "x", dim(img)[1])
  }
  out <- array(0, c(count, size, size, dim(img)[3]))
  for (k in seq_len(count)) out[k, , , ] <- img[(k - 1) * size + seq_len(size), , , drop = FALSE]
  out
}

# The JSON file that makes `folder` a photoq cache or run, checked for its format and version.
read_folder_info <- function(folder, file, format, version, kind, hint) {
  info_file <- file.path(folder, file)
  if (!file.exists(info_file)) {
    photoq_stop("No photoq ", kind, " at ", folder, ": ", file, " not found (", hint, ")")
  }
  info <- tryCatch(
    jsonlite::read_json(info_file, simplifyVector = TRUE),
    error = function(e) photoq_stop(info_file, " cannot be read as JSON: ", trimws(conditionMessage(e)))
  )
  if (!is.list(info) || !identical(info$format, format) || !is.numeric(info$version %||% 0L) ||
      length(info$version %||% 0L) != 1 || as.integer(info$version %||% 0L) > version) {
    photoq_stop(info_file, " is not a photoq ", kind, " of format version <= ", version,
                " (found ", deparse_short(info$format), " version ",
                deparse_short(info$version), ")")
  }
  info
}

test_that("make_demo_photos() writes good/ and bad/ photos", {
  skip_if_no_photoq()
  folder <- make_demo_photos(tempfile("demo"), n_photos = 6, size = c(128, 96), seed = 3)
  expect_true(dir.exists(folder))
  good <- list.files(file.path(folder, "good"), pattern = "\\.jpg$")
  bad <- list.files(file.path(folder, "bad"), pattern = "\\.jpg$")
  expect_equal(length(good) + length(bad), 6)
  expect_true(length(good) >= 1 && length(bad) >= 1)
})

test_that("build_cache() returns the cache R reads itself, and is incremental", {
  skip_if_no_photoq()
  photos <- make_demo_photos(tempfile("demo"), n_photos = 8, size = c(128, 96), seed = 2)
  # a broken photo is skipped with its reason; nothing else is lost
  writeLines("not a photo", file.path(photos, "bad", "broken.jpg"))
  folder <- tempfile("cache")
  expect_message(
    cache <- build_cache(photos, folder, width = 96, workers = 2),
    "8 photos in the cache: 8 added"
  )
  expect_s3_class(cache, "photoq_cache")
  expect_equal(cache$path, normalizePath(folder))
  expect_equal(nrow(cache$manifest), 8)
  expect_equal(cache$build$added, 8L)
  expect_equal(nrow(cache$skipped), 1)
  expect_match(cache$skipped$path, "broken.jpg$")
  expect_true(nzchar(cache$skipped$reason))
  expect_equal(names(cache$manifest)[1:11], c("hash", "label", "split", "group", "original", "cached",
                                              "width", "height", "source_width", "source_height", "taken"))
  expect_true(all(cache$manifest$width == 96L))
  expect_type(cache$manifest$height, "integer")
  expect_true(all(cache$manifest$split %in% c("train", "validation", "test")))
  expect_true(all(file.exists(file.path(folder, cache$manifest$cached))))
  expect_equal(cache$info$views$overview$width, 96)
  expect_equal(cache$info$classes, list(positive = "good", negative = "bad"))
  # a second build reads nothing again
  again <- build_cache(photos, folder, width = 96, progress = FALSE)
  expect_equal(again$build$added, 0L)
  expect_equal(again$build$reused, 8L)
  expect_equal(again$manifest, cache$manifest)
  # another width in the same folder is refused with Python's message
  expect_error(build_cache(photos, folder, width = 128, progress = FALSE),
               "holds 96 px wide images; asked for 128", class = "photoq_error")
})

test_that("open_cache() reads the cache without Python", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  cache <- open_cache(fixture$cache$path)
  expect_s3_class(cache, "photoq_cache")
  expect_equal(cache$manifest, fixture$cache$manifest)
  expect_equal(nrow(cache$manifest), 40)
  expect_s3_class(cache$skipped, "data.frame")
  expect_named(cache$skipped, c("path", "label", "reason"))
  expect_named(cache$conflicts, c("hash", "kind", "kept_label", "kept_path", "other_label",
                                  "other_path"))
  # the same tables as Python's open_cache
  py <- reticulate::import("pyphotoq.interop", convert = FALSE)
  pq <- reticulate::import("pyphotoq", convert = FALSE)
  from_py <- photoq:::columns_to_df(reticulate::py_to_r(
    py$table_columns(pq$open_cache(cache$path)$manifest)
  ))
  expect_equal(from_py[names(cache$manifest)], cache$manifest, ignore_attr = TRUE)
  # it never needs Python: a child R process with no Python at all reads it
  out <- run_r(c(
    attach_photoq_code(),
    sprintf("cache <- open_cache(%s)", deparse(cache$path)),
    "cat('rows:', nrow(cache$manifest), '\\n')",
    "cat('python started:', reticulate::py_available(initialize = FALSE), '\\n')"
  ), env = c("PHOTOQ_PYTHON=/nonexistent/python"))
  expect_match(paste(out, collapse = "\n"), "rows: 40 \npython started: FALSE", fixed = TRUE)
  expect_error(open_cache(tempfile()), "cache.json not found", class = "photoq_error")
})

test_that("print() and summary() of a cache", {
  skip_if_no_photoq()
  cache <- photoq_fixture()$cache
  expect_output(print(cache), "<photoq cache .* 40 photos \\(")
  s <- summary(cache)
  expect_s3_class(s, "summary.photoq_cache")
  expect_equal(sum(s$counts), 40)
  expect_equal(dimnames(s$counts)$split, c("train", "validation", "test"))
  expect_equal(dimnames(s$counts)$label, c("bad", "good"))
  expect_output(print(s), "96 px wide")
})

test_that("read_cached_image() reads a cached photo as an array", {
  skip_if_no_photoq()
  skip_if_no_package("jpeg")
  cache <- photoq_fixture()$cache
  m <- cache$manifest
  img <- read_cached_image(cache, 1)
  expect_equal(dim(img), c(m$height[1], m$width[1], 3L))
  expect_true(all(img >= 0 & img <= 1))
  expect_equal(read_cached_image(cache$path, m$hash[1]), img)
  expect_equal(read_cached_image(cache, m$cached[1]), img)
  expect_equal(read_cached_image(cache, m$original[1]), img)
  expect_error(read_cached_image(cache, 41), "has 40 photos")
  expect_error(read_cached_image(cache, "nope"), "No photo nope")
})

test_that("read_cached_image(view = 'detail') returns the patches Python reads", {
  skip_if_no_photoq()
  skip_if_no_package("jpeg")
  cache <- photoq_fixture()$cache
  expect_equal(cache$views, c("overview", "detail"))
  spec <- cache$info$views$detail
  expect_equal(spec$make, "patches")
  patches <- read_cached_image(cache, 2, view = "detail")
  expect_equal(dim(patches), c(spec$patches, spec$size, spec$size, 3L))
  # patch k is rows (k - 1) * size + 1 ... k * size of the one file
  strip <- jpeg::readJPEG(view_file(cache, cache$manifest$hash[2], "detail"))
  expect_equal(patches[3, , , ], strip[2 * spec$size + seq_len(spec$size), , ])
  # the parity of the pixels with Python's reader
  py <- reticulate::import("pyphotoq.photos.detail", convert = FALSE)
  np <- reticulate::import("numpy", convert = FALSE)
  pil <- reticulate::import("PIL.Image", convert = FALSE)
  img <- pil$open(view_file(cache, cache$manifest$hash[2], "detail"))$convert("RGB")
  from_python <- reticulate::py_to_r(np$asarray(py$split_patches(np$asarray(img), spec), dtype = "float64")$tolist())
  expect_equal(unlist(from_python) / 255, as.vector(aperm(patches, c(4, 3, 2, 1))), tolerance = 1e-12)
  expect_error(read_cached_image(cache, 2, view = "nope"), "has no view")
})

test_that("open_cache() reads format 2: views by one rule, every table checked (R alone)", {
  skip_if_no_photoq()
  photos <- make_demo_photos(tempfile("demo"), n_photos = 6, size = c(128, 96), seed = 4)
  folder <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE, detail = FALSE)$path
  cache <- open_cache(folder)
  expect_equal(cache$info$version, 2L)
  expect_equal(cache$views, "overview")
  h <- cache$manifest$hash
  expect_equal(view_file(cache, h), file.path(folder, "views", "overview", substr(h, 1, 2), paste0(h, ".jpg")))
  expect_equal(cache$manifest$cached, sprintf("views/overview/%s/%s.jpg", substr(h, 1, 2), h))
  expect_true(all(file.exists(view_file(cache, h))))
  expect_error(view_file(cache, h[1], "detail"), "no view \"detail\"")
  expect_error(view_file(cache, "../../etc/passwd"), "Not a photo hash")
  files <- utils::read.csv(file.path(folder, "files.csv"), colClasses = "character")
  expect_equal(sort(files$hash), sort(h))
  expect_equal(as.numeric(files$size), file.size(view_file(cache, files$hash)))
  # damaged tables: one error naming the file, the row and the column
  manifest <- file.path(folder, "manifest.csv")
  good <- readLines(manifest)
  writeLines(sub("^[0-9a-f]{64}", "../../etc/passwd", good, perl = TRUE)[c(1, 2)], manifest)
  expect_error(open_cache(folder), "manifest.csv row 1, column hash")
  writeLines(sub(",(train|validation|test),", ",nowhere,", good), manifest)
  expect_error(open_cache(folder), "manifest.csv row 1, column split")
  file.create(manifest)
  expect_error(open_cache(folder), "manifest.csv is empty")
  writeLines(good, manifest)
  writeLines("{not json", file.path(folder, "cache.json"))
  expect_error(open_cache(folder), "cache.json cannot be read as JSON")
})

test_that("file names that are not valid UTF-8 are decoded from %XX", {
  expect_equal(photoq:::decode_paths(c("/a/plain.jpg", "/a/100%25.jpg")), c("/a/plain.jpg", "/a/100%.jpg"))
  odd <- photoq:::decode_paths("/a/%FFtest.jpg")
  expect_equal(charToRaw(odd)[4], as.raw(0xff))
})

test_that("build_cache(labels = 'xmp') labels photos by the ratings in their sidecars", {
  skip_if_no_photoq()
  photos <- make_demo_photos(tempfile("demo"), n_photos = 12, size = c(128, 96), seed = 5)
  files <- list.files(photos, pattern = "\\.jpg$", recursive = TRUE, full.names = TRUE)
  sidecar <- function(rating) {
    c('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
      sprintf('<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="%s"/>', rating),
      "</rdf:RDF></x:xmpmeta>")
  }
  ratings <- rep(c(5, -1, 3), length.out = length(files))  # 3 stars: neither rule, left out
  for (i in seq_along(files)) writeLines(sidecar(ratings[i]), paste0(files[i], ".xmp"))
  expect_message(
    cache <- build_cache(photos, tempfile("cache"), width = 96, labels = "xmp"),
    "Labels from XMP: 4 good"
  )
  expect_equal(nrow(cache$manifest), sum(ratings != 3))
  labelled <- utils::read.csv(file.path(cache$path, "labels.csv"), stringsAsFactors = FALSE)
  expect_setequal(labelled$rating, c(5, -1))
  expect_true(all(grepl("^sidecar ", labelled$source)))
  expect_error(build_cache(photos, tempfile("cache"), labels = labelling("xmp", good = "stars>=4")), "not a condition")
  # the same build from labelling() and splitting() objects, a named list and a plain string
  grouped <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE,
                         labels = labelling("xmp", good = "rating>=4", bad = "rejected"),
                         split = splitting("hash", fractions = c(0.5, 0.5, 0)))
  listed <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE,
                        labels = list(source = "xmp"), split = list(method = "hash", fractions = c(0.5, 0.5, 0)))
  expect_equal(grouped$manifest[c("hash", "label", "split")], listed$manifest[c("hash", "label", "split")])
  expect_equal(grouped$info$split, list(method = "hash", fractions = c(0.5, 0.5, 0), burst_seconds = 3))
  strings <- build_cache(photos, tempfile("cache"), width = 96, progress = FALSE, labels = "xmp", split = "hash")
  expect_equal(strings$info$split$fractions, c(0.8, 0.1, 0.1))
  expect_equal(strings$manifest$label, grouped$manifest$label)
})

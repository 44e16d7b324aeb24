# A copy of the shared fixture's cache and run that a test may change.
own_run <- function(fixture) {
  dir <- tempfile("learn")
  dir.create(dir)
  file.copy(fixture$cache$path, dir, recursive = TRUE)
  file.copy(fixture$run$path, dir, recursive = TRUE)
  run <- file.path(dir, basename(fixture$run$path))
  info <- jsonlite::read_json(file.path(run, "run.json"))
  info$cache$path <- normalizePath(file.path(dir, basename(fixture$cache$path)))
  jsonlite::write_json(info, file.path(run, "run.json"), auto_unbox = TRUE, pretty = TRUE, digits = NA)
  list(run = run, cache = info$cache$path)
}

test_that("learn_corrections() adds the sorted photos to training and trains on", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  copy <- own_run(fixture)
  before <- open_cache(copy$cache)$manifest
  shoot <- make_demo_photos(tempfile("shoot"), n_photos = 8, size = c(128, 96), seed = 5)
  learned <- learn_corrections(copy$run, shoot, batches = 10, verbose = FALSE)
  expect_s3_class(learned, "data.frame")
  expect_named(learned, c("photos", "added", "relabelled", "training_photos", "from_batch", "to_batch",
                          "best_batch_before", "best_batch_after", "validation_auc_before",
                          "validation_auc_after"))
  expect_equal(learned$photos, 8)
  expect_equal(learned$added, 8)
  expect_equal(learned$to_batch, learned$from_batch + 10)
  expect_true(learned$validation_auc_after >= 0 && learned$validation_auc_after <= 1)
  expect_match(attr(learned, "summary"), "Learned from 8 sorted photos")
  after <- open_cache(copy$cache)$manifest
  added <- after[!after$hash %in% before$hash, ]
  expect_equal(nrow(added), 8)
  expect_true(all(added$split == "train"))
  expect_equal(open_run(copy$run)$batches_done, learned$to_batch)
  expect_error(learn_corrections(copy$run, shoot, batches = 0), "^batches must be at least 1, got 0$")
  expect_error(learn_corrections(copy$run, tempfile("none"), batches = 1), "Corrections not found",
               class = "photoq_error")
})

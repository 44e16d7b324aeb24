test_that("score_photos() scores a folder, best first, with the threshold used", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  new <- make_demo_photos(file.path(fixture$dir, "new"), n_photos = 6, size = c(128, 96), seed = 7)
  writeLines("not a photo", file.path(new, "good", "broken.jpg"))
  scores <- score_photos(fixture$run, new, workers = 2)
  expect_s3_class(scores, "data.frame")
  expect_named(scores, c("path", "score", "decision", "rule", "rating", "pick", "margin", "sharpness",
                         "clipped_highlights", "clipped_shadows", "noise", "tilt_degrees", "brightness",
                         "saturation", "colourfulness", "portrait", "aspect_ratio", "reason", "taken",
                         "camera", "burst", "best_in_burst", "duplicate_of", "sequence", "pair"))
  expect_equal(nrow(scores), 7)
  threshold <- attr(scores, "threshold")
  expect_type(threshold, "double")
  ok <- scores$decision != "skipped"
  expect_equal(sum(!ok), 1)
  expect_match(scores$path[!ok], "broken.jpg$")
  expect_true(is.na(scores$score[!ok]))
  expect_true(nzchar(scores$reason[!ok]))
  reject <- attr(scores, "reject_threshold")
  expect_true(reject <= threshold)
  plain <- ok & scores$burst == "" & scores$sequence == "" & scores$duplicate_of == ""
  expect_equal(scores$decision[plain],
               ifelse(scores$score[plain] >= threshold, "keep",
                      ifelse(scores$score[plain] < reject, "reject", "review")))
  expect_type(attr(scores, "drift"), "character")
  expect_false(is.unsorted(rev(scores$score[ok])))
  given <- score_photos(fixture$run$path, new, culling(threshold = 0), checkpoint = "latest", batch_size = 2)
  expect_true(all(given$decision[given$decision != "skipped"] == "keep"))
  expect_equal(attr(given, "threshold"), 0)
  quota <- score_photos(fixture$run, new, list(best = 2), workers = 2) # a named list stands for culling()
  expect_equal(sum(quota$decision == "keep" & grepl("among the best 2", quota$rule)), 2)
  expect_error(score_photos(fixture$run, tempfile()), "Photo folder or file not found",
               class = "photoq_error")
})

test_that("culling() checks its settings in Python and prints them", {
  skip_if_no_photoq()
  settings <- culling(best = 20, weaker_in_burst = "reject")
  expect_s3_class(settings, "photoq_culling")
  expect_identical(settings$best, 20L)
  expect_equal(settings$keep_precision, 0.9)
  expect_output(print(settings), "best = 20")
  expect_error(culling(best = 1, best_share = 0.5), "not both", class = "photoq_error")
  expect_error(culling(keep_precision = 2), "keep_precision must be in", class = "photoq_error")
  expect_error(score_photos(tempfile(), tempfile(), culling = 0.9), "`culling` must be culling",
               class = "photoq_error")
})

test_that("score_photos(xmp = TRUE) writes sidecars that undo_sidecars() removes", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  new <- make_demo_photos(tempfile("xmp"), n_photos = 4, size = c(128, 96), seed = 9)
  photos <- list.files(new, pattern = "[.]jpg$", recursive = TRUE, full.names = TRUE)
  before <- unname(tools::md5sum(photos))
  planned <- score_photos(fixture$run, new, dry_run = TRUE)
  expect_true(all(attr(planned, "sidecars")$action == "create"))
  expect_length(list.files(new, pattern = "[.]xmp$", recursive = TRUE), 0)
  scores <- score_photos(fixture$run, new, xmp = TRUE)
  sidecars <- paste0(scores$path, ".xmp")
  expect_true(all(file.exists(sidecars)))
  text <- readLines(sidecars[1], warn = FALSE)
  expect_true(any(grepl(paste0('Rating="', scores$rating[1], '"'), text, fixed = TRUE)))
  expect_identical(unname(tools::md5sum(photos)), before) # the photos are never written
  undone <- undo_sidecars(new)
  expect_setequal(undone$action, "removed")
  expect_false(any(file.exists(sidecars)))
  expect_error(score_photos(fixture$run, new, xmp = "yes"), "`xmp` must be TRUE or FALSE")
})

test_that("ask_photos() proposes photos closest to the keep line", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  asked <- ask_photos(fixture$run, fixture$photos, n = 3)
  expect_named(asked, c("path", "score", "decision", "margin", "scene", "why"))
  expect_equal(nrow(asked), 3)
  expect_false(is.unsorted(abs(qlogis(pmin(pmax(asked$score, 1e-6), 1 - 1e-6)) -
                                 qlogis(asked$score[1] - asked$margin[1]))))
  expect_error(ask_photos(fixture$run, fixture$photos, n = 0), "^n must be at least 1, got 0$")
})

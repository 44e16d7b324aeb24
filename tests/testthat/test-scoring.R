test_that("score_photos() scores a folder, best first, with the threshold used", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  new <- make_demo_photos(file.path(fixture$dir, "new"), n_photos = 6, size = c(128, 96), seed = 7)
  writeLines("not a photo", file.path(new, "good", "broken.jpg"))
  scores <- score_photos(fixture$run, new, workers = 2)
  expect_s3_class(scores, "data.frame")
  expect_named(scores, c("path", "score", "decision", "margin", "sharpness", "clipped_highlights",
                         "clipped_shadows", "noise", "tilt_degrees", "brightness", "saturation",
                         "colourfulness", "portrait", "aspect_ratio", "reason"))
  expect_equal(nrow(scores), 7)
  threshold <- attr(scores, "threshold")
  expect_type(threshold, "double")
  ok <- scores$decision != "skipped"
  expect_equal(sum(!ok), 1)
  expect_match(scores$path[!ok], "broken.jpg$")
  expect_true(is.na(scores$score[!ok]))
  expect_true(nzchar(scores$reason[!ok]))
  expect_equal(scores$decision[ok], ifelse(scores$score[ok] >= threshold, "keep", "reject"))
  expect_false(is.unsorted(rev(scores$score[ok])))
  # the same threshold as evaluate_model() chooses on validation
  expect_equal(threshold, evaluate_model(fixture$run)$threshold)
  given <- score_photos(fixture$run$path, new, threshold = 0, checkpoint = "latest", batch_size = 2)
  expect_true(all(given$decision[given$decision != "skipped"] == "keep"))
  expect_equal(attr(given, "threshold"), 0)
  expect_error(score_photos(fixture$run, tempfile()), "Photo folder not found",
               class = "photoq_error")
})

test_that("bias_report() flags a planted brightness bias, and plot_bias() draws it", {
  skip_if_no_photoq()
  result <- evaluate_model(photoq_fixture()$run, split = "train")
  planted <- result
  b <- planted$predictions$brightness
  planted$predictions$score <- (b - min(b)) / (max(b) - min(b))
  report <- bias_report(planted)
  expect_s3_class(report, "photoq_bias")
  expect_named(report, c("variable", "kind", "n", "score_association", "label_association",
                         "within_class", "lean", "flagged", "note"))
  expect_true(report$flagged[report$variable == "brightness"])
  expect_output(print(report), "bias report, train split: [1-9] of 8 variables flagged")
  p <- plot_bias(report)
  expect_s3_class(p, "ggplot")
  expect_s3_class(ggplot2::autoplot(report), "ggplot")
  expect_error(plot_bias(data.frame()), "must be a photoq_bias")
})

test_that("explain_photos() writes overlays and returns a table", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  photos <- head(list.files(file.path(fixture$photos, "good"), full.names = TRUE), 2)
  out <- tempfile("maps")
  maps <- explain_photos(fixture$run, photos, out = out)
  expect_named(maps, c("path", "score", "decision", "explained", "peak_x", "peak_y", "overlay", "reason"))
  expect_equal(maps$path, normalizePath(photos))
  expect_true(all(file.exists(maps$overlay)))
  expect_true(all(maps$peak_x >= 0 & maps$peak_x <= 1))
  expect_error(explain_photos(fixture$run, photos, target = "why"), "Unknown target")
  expect_error(explain_photos(fixture$run, 3), "must be a folder")
})

test_that("report() writes one self-contained HTML file", {
  skip_if_no_photoq()
  file <- tempfile(fileext = ".html")
  expect_equal(report(photoq_fixture()$run, file = file), normalizePath(file))
  page <- paste(readLines(file, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
  sources <- regmatches(page, gregexpr('<img[^>]+src="[^"]+"', page))[[1]]
  expect_gt(length(sources), 5)
  expect_true(all(grepl('src="data:image/', sources)))
  expect_match(page, "Bias report", fixed = TRUE)
})

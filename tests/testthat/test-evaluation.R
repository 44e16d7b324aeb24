# One evaluation of the shared run, made on first use.
fixture_result <- local({
  result <- NULL
  function() {
    if (is.null(result)) result <<- evaluate_model(photoq_fixture()$run)
    result
  }
})

test_that("evaluate_model() returns metrics, ROC table and predictions as R data", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  result <- fixture_result()
  expect_s3_class(result, "photoq_evaluation")
  expect_equal(result$split, "test")
  test_rows <- fixture$cache$manifest[fixture$cache$manifest$split == "test", ]
  expect_equal(result$n_photos, nrow(test_rows))
  expect_equal(result$threshold_rule, "max F1 on validation")
  expect_equal(c(result$negative, result$positive), c("bad", "good"))
  p <- result$predictions
  expect_named(p, c("hash", "original", "cached", "label", "score", "predicted", "correct", "decision", "taken",
                    "margin", "sharpness", "clipped_highlights", "clipped_shadows", "noise",
                    "tilt_degrees", "brightness", "saturation", "colourfulness", "portrait",
                    "aspect_ratio", "reason"))
  expect_equal(p$margin, p$score - result$threshold)
  expect_true(all(p$decision %in% c("keep", "review", "reject")))
  expect_true(all(startsWith(p$reason, paste0(p$decision, " ("))))
  expect_type(p$portrait, "logical")
  expect_setequal(p$hash, test_rows$hash)
  expect_type(p$correct, "logical")
  expect_false(is.unsorted(rev(p$score)))
  expect_true(all(file.exists(p$cached)))
  # the metrics follow from the predictions and the threshold
  expect_equal(p$predicted, ifelse(p$score >= result$threshold, "good", "bad"))
  expect_equal(result$accuracy, mean(p$predicted == p$label))
  expect_equal(result$share_positive, mean(p$predicted == "good"))
  expect_named(result$roc, c("fpr", "tpr", "threshold"))
  expect_equal(result$roc$threshold[1], Inf)
  expect_equal(range(result$roc$fpr), c(0, 1))
  # the AUC is the area under the ROC table
  o <- order(result$roc$fpr, result$roc$tpr)
  fpr <- result$roc$fpr[o]
  tpr <- result$roc$tpr[o]
  expect_equal(result$auc, sum(diff(fpr) * (head(tpr, -1) + tail(tpr, -1)) / 2))
})

test_that("evaluate_model() options: split, threshold, checkpoint, cache", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  given <- evaluate_model(fixture$run, split = "validation", threshold = 0.5, checkpoint = 10,
                          cache = fixture$cache$path)
  expect_equal(given$split, "validation")
  expect_equal(given$threshold, 0.5)
  expect_equal(given$threshold_rule, "given")
  expect_equal(given$checkpoint, "batch-000010")
  latest <- evaluate_model(fixture$run$path, checkpoint = "latest", keep_recall = 1)
  expect_equal(latest$checkpoint, "batch-000020")
  expect_match(latest$threshold_rule, "keeps 100% of good")
  expect_error(evaluate_model(fixture$run, checkpoint = 15), "no checkpoint at batch 15",
               class = "photoq_error")
})

test_that("print(), summary() and plot() of an evaluation", {
  skip_if_no_photoq()
  result <- fixture_result()
  expect_output(print(result), "test split, [0-9]+ photos, checkpoint batch-0000[12]0: AUC [0-9.]+")
  s <- summary(result)
  expect_s3_class(s, "summary.photoq_evaluation")
  expect_equal(sum(s$confusion), result$n_photos)
  expect_equal(sum(diag(s$confusion)) / sum(s$confusion), result$accuracy)
  expect_output(print(s), "predicted")
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file)
  expect_s3_class(expect_invisible(plot(result)), "ggplot")
  grDevices::dev.off()
  expect_gt(file.size(file), 1000)
  expect_s3_class(ggplot2::autoplot(result), "ggplot")
})

test_that("plot_roc() is a ggplot of the table Python draws, and writes a PNG", {
  skip_if_no_photoq()
  skip_if_no_package("png")
  result <- fixture_result()
  data <- roc_plot_data(result)
  expect_equal(data$curve$fpr, result$roc$fpr)
  expect_equal(data$curve$threshold[1], Inf)
  p <- plot_roc(result)
  expect_s3_class(p, "ggplot")
  built <- ggplot2::ggplot_build(p)
  step <- ggplot2::layer_data(p, 2)
  expect_equal(unique(step[, c("x", "y")]), unique(data.frame(x = data$curve$fpr, y = data$curve$tpr)),
               ignore_attr = TRUE)
  expect_equal(ggplot2::layer_data(p, 3)[, c("x", "y")],
               data.frame(x = data$point$fpr, y = data$point$tpr))
  expect_match(p$labels$subtitle, sprintf("AUC %.3f", result$auc), fixed = TRUE)
  file <- tempfile(fileext = ".png")
  expect_s3_class(plot_roc(result, file = file), "ggplot")
  expect_equal(dim(png::readPNG(file))[1:2], c(round(5.6 * 120), round(5.2 * 120)))
  expect_error(plot_roc(list()), "must be a photoq_evaluation")
})

test_that("as_roc() gives pROC's object with the direction set", {
  skip_if_no_photoq()
  skip_if_no_package("pROC")
  result <- fixture_result()
  roc <- as_roc(result)
  expect_s3_class(roc, "roc")
  expect_equal(roc$direction, "<")
  expect_equal(roc$levels, c("bad", "good"))
  expect_equal(as.numeric(pROC::auc(roc)), result$auc, tolerance = 1e-12)
  # scores turned upside down: an explicit direction keeps the AUC honest (1 - AUC)
  flipped <- result
  flipped$predictions$score <- -flipped$predictions$score
  expect_equal(as.numeric(pROC::auc(as_roc(flipped))), 1 - result$auc, tolerance = 1e-12)
})

test_that("evaluate_checkpoints() scores every checkpoint on every split", {
  skip_if_no_photoq()
  table <- evaluate_checkpoints(photoq_fixture()$run)
  expect_named(table, c("batch", "split", "auc", "accuracy", "f1"))
  expect_equal(nrow(table), 6)
  expect_equal(table$batch, rep(c(10L, 20L), each = 3))
  expect_equal(table$split, rep(c("train", "validation", "test"), 2))
  expect_true(all(table$accuracy >= 0 & table$accuracy <= 1))
  one <- evaluate_checkpoints(photoq_fixture()$run$path, splits = "test")
  expect_equal(one$split, c("test", "test"))
  expect_equal(one$auc, table$auc[table$split == "test"])
})

test_that("contact_sheet() draws every misclassified photo, the threshold line and a legend", {
  skip_if_no_photoq()
  skip_if_no_package("jpeg")
  skip_if_no_package("png")
  fixture <- photoq_fixture()
  train <- evaluate_model(fixture$run, split = "train", threshold = 0.5)
  p <- train$predictions
  expect_gt(nrow(p), 9)
  data <- contact_sheet_data(train, n_top = 3, n_bottom = 2)
  tiles <- data$tiles
  shown <- unique(c(head(p$hash, 3), tail(p$hash, 2), p$hash[!p$correct]))
  expect_setequal(tiles$hash, shown)
  expect_false(is.unsorted(rev(tiles$score)))
  expect_equal(tiles$caption, sprintf("#%d  %.3f  %s", tiles$rank, tiles$score, tiles$label))
  expect_equal(tiles$frame, ifelse(tiles$correct, "correct", "misclassified"))
  # the line at the threshold: above it the photos called good, below those called bad
  line_y <- data$separator$y
  expect_true(all((tiles$ymin > line_y) == (tiles$score >= train$threshold)))
  expect_match(data$separator$label, sprintf("threshold %.3f", train$threshold), fixed = TRUE)

  sheet <- contact_sheet(train, n_top = 3, n_bottom = 2)
  expect_s3_class(sheet, "ggplot")
  rasters <- vapply(sheet$layers, function(l) inherits(l$geom, "GeomRasterAnn"), logical(1))
  expect_equal(sum(rasters), nrow(tiles))
  frames <- ggplot2::layer_data(sheet, which(vapply(sheet$layers, function(l) inherits(l$geom, "GeomRect"),
                                                    logical(1)))[1])
  expect_equal(frames$xmin, tiles$xmin)
  expect_equal(frames$colour, data$frames$colour[match(tiles$frame, data$frames$frame)])
  texts <- ggplot2::layer_data(sheet, which(vapply(sheet$layers, function(l) inherits(l$geom, "GeomText"),
                                                   logical(1)))[1])
  expect_equal(texts$label, tiles$caption)
  expect_true("frame" %in% names(ggplot2::ggplot_build(sheet)$plot$scales$get_scales("colour")$get_limits()) ||
              identical(sheet$scales$get_scales("colour")$name, "frame"))
  file <- tempfile(fileext = ".png")
  expect_s3_class(contact_sheet(train, file = file), "ggplot")
  img <- png::readPNG(file)
  red <- img[, , 1] > 0.75 & img[, , 2] < 0.25 & img[, , 3] < 0.25
  # a misclassified photo's red frame is drawn (a photo of red things may show red without one)
  if (any(!tiles$correct)) expect_true(any(red))
  expect_equal(sum(frames$colour == data$frames$colour[data$frames$frame == "misclassified"]),
               sum(!tiles$correct))
  expect_error(contact_sheet(fixture_result(), n_top = -1), "at least 0")
})

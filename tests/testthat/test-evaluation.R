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
  expect_named(p, c("hash", "original", "cached", "label", "score", "predicted", "correct"))
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
  expect_invisible(plot(result))
  grDevices::dev.off()
  expect_gt(file.size(file), 1000)
})

test_that("plot_roc() writes a PNG", {
  skip_if_no_photoq()
  skip_if_no_package("png")
  file <- tempfile(fileext = ".png")
  expect_equal(plot_roc(fixture_result(), file = file), normalizePath(file))
  expect_equal(dim(png::readPNG(file))[1:2], c(700, 700))
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

test_that("contact_sheet() draws the top and bottom photos, misclassified in red", {
  skip_if_no_photoq()
  skip_if_no_package("jpeg")
  skip_if_no_package("png")
  fixture <- photoq_fixture()
  train <- evaluate_model(fixture$run, split = "train", threshold = 0.5)
  sorted <- sort(train$predictions$score, decreasing = TRUE)
  expect_gt(length(sorted), 9)
  rows <- photoq:::sheet_rows(train$predictions, 5L, 4L)
  expect_equal(nrow(rows), 9)
  expect_equal(rows$score, c(head(sorted, 5), tail(sorted, 4)))
  expect_equal(rows$rank, c(1:5, length(sorted) - 3:0))
  # the default 13 + 12 in a 5 x 5 grid
  rows <- photoq:::sheet_rows(train$predictions, 13L, 12L)
  expect_equal(nrow(rows), min(25, length(sorted)))
  file <- tempfile(fileext = ".png")
  expect_equal(contact_sheet(train, file = file), normalizePath(file))
  img <- png::readPNG(file)
  expect_equal(dim(img)[1:2], c(175 * ceiling(nrow(rows) / 5) + 60, 200 * 5))
  # red outlines exactly when something shown is misclassified
  red <- img[, , 1] > 0.9 & img[, , 2] < 0.1 & img[, , 3] < 0.1
  expect_equal(any(red), any(!rows$correct))
  # fewer photos than places: each shown once
  small <- contact_sheet(fixture_result(), file = tempfile(fileext = ".png"), n_top = 2, n_bottom = 1)
  expect_true(file.exists(small))
  expect_equal(nrow(photoq:::sheet_rows(fixture_result()$predictions, 100L, 100L)),
               fixture_result()$n_photos)
  expect_error(contact_sheet(fixture_result(), n_top = 0, n_bottom = 0), "Nothing to show")
})

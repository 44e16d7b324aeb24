test_that("build_model() builds the network of a recipe; 'original' has 47,266 parameters", {
  skip_if_no_photoq()
  model <- build_model("original")
  expect_s3_class(model, "python.builtin.object")
  expect_equal(reticulate::py_to_r(model$count_params()), 47266)
  small <- build_model("original", filters = 8, last_filters = 16, strided_layers = 2, seed = NULL)
  expect_lt(reticulate::py_to_r(small$count_params()), 47266)
  default <- build_model()
  expect_equal(reticulate::py_to_r(default$name), "photoq_two_view")
  expect_equal(reticulate::py_to_r(build_model("two-branch")$name), "photoq_two_branch")
  expect_error(build_model("original", learning_rate = 1e-3), "fixes learning_rate", class = "photoq_error")
  expect_error(build_model("fastest"), "Unknown recipe 'fastest'", class = "photoq_error")
})

test_that("train_model() trains into a run folder that R reads itself", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  run <- fixture$run
  expect_s3_class(run, "photoq_run")
  expect_equal(run$batches_done, 20L)
  expect_equal(run$settings$batches, 20)
  expect_equal(run$settings$validate_every, 10)
  expect_equal(run$info$cache$id, fixture$cache$info$id)
  expect_equal(run$checkpoints$batch, c(10L, 20L))
  expect_true(all(file.exists(run$checkpoints$path)))
  expect_true(run$state$best %in% c("checkpoints/batch-000010.keras", "checkpoints/batch-000020.keras"))
  h <- run$history
  expect_named(h, c("batch", "set", "metric", "value"))
  expect_type(h$batch, "integer")
  expect_setequal(unique(h$metric[h$set == "train"]), c("loss", "accuracy", "loss_avg", "accuracy_avg"))
  expect_setequal(unique(h$metric[h$set == "validation"]), c("auc", "accuracy", "f1", "loss"))
  expect_equal(sort(unique(h$batch[h$set == "validation"])), c(10L, 20L))
  expect_true(file.exists(file.path(run$path, "history.png"))) # plot = TRUE by default
  # the booster's statistics, measured once by training and kept with the cache: a table R reads
  statistics <- utils::read.csv(file.path(fixture$cache$path, "statistics.csv"),
                                colClasses = c(hash = "character"))
  expect_equal(names(statistics)[1:4], c("hash", "version", "views", "spec"))
  two_view <- statistics[statistics$views == "overview+detail", ] # overview-only runs keep rows of their own
  trained <- fixture$cache$manifest$hash[fixture$cache$manifest$split %in% c("train", "validation")]
  expect_true(all(trained %in% two_view$hash))
  expect_true(is.numeric(two_view$overview_brightness) && all(is.finite(two_view$overview_brightness)))
  # the facts of the training keepers, measured once by training and kept beside them
  facts <- utils::read.csv(file.path(fixture$cache$path, "facts.csv"), colClasses = c(hash = "character"))
  expect_equal(names(facts)[1:5], c("hash", "version", "views", "spec", "sharpness"))
  keepers <- fixture$cache$manifest$hash[fixture$cache$manifest$split == "train" &
                                         fixture$cache$manifest$label == "good"]
  expect_true(all(facts$views == "overview") && any(keepers %in% facts$hash))
  expect_true(all(facts$brightness >= 0 & facts$brightness <= 1))
})

test_that("train_model() resumes and extends a run; settings are checked", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  folder <- file.path(fixture$dir, "extended")
  smaller <- recipe("original", model_options = list(filters = 8, last_filters = 16))
  first <- train_model(fixture$cache, folder, recipe = smaller, batches = 5, validate_every = 5, plot = FALSE)
  expect_equal(first$batches_done, 5L)
  expect_equal(first$settings$recipe, "original")
  expect_equal(first$settings$model_options, list(filters = 8L, last_filters = 16L))
  expect_output(print(first), "recipe original")
  expect_null(first$booster) # the original has none
  expect_false(dir.exists(file.path(folder, "booster")))
  expect_error(train_model(fixture$cache, tempfile(), recipe = list(name = "original", booster = TRUE), plot = FALSE),
               "'original' fixes booster=False", class = "photoq_error")
  more <- train_model(fixture$cache$path, folder, batches = 10, plot = FALSE)
  expect_equal(more$batches_done, 10L)
  expect_equal(nrow(more$checkpoints), 2)
  expect_error(train_model(fixture$cache, folder, batches = 10, seed = 3, plot = FALSE),
               "started with other settings", class = "photoq_error")
  expect_error(train_model(fixture$cache, folder, recipe = "two-branch", plot = FALSE),
               "recipe='original', not 'two-branch'", class = "photoq_error")
})

test_that("open_run(), print(), summary() and plot() of a run", {
  skip_if_no_photoq()
  run <- photoq_fixture()$run
  again <- open_run(run$path)
  expect_equal(again, run)
  expect_output(print(run), "<photoq run .* recipe two-view .* 20/20 batches.* booster \\(network weight [0-9.]+, validation AUC [0-9.]+\\)>")
  # the booster is blended with the best checkpoint, as booster.json records
  expect_equal(run$booster$checkpoint, run$state$best)
  expect_true(run$booster$network_weight %in% c(0, 0.25, 0.5, 0.75, 1))
  expect_length(run$booster$features, 4 * 41)
  s <- summary(run)
  expect_s3_class(s, "summary.photoq_run")
  expect_equal(s$validation$batch, c(10L, 20L))
  expect_true(all(c("auc", "accuracy", "f1", "loss") %in% names(s$validation)))
  expect_output(print(s), "validation by checkpoint")
  expect_error(open_run(tempfile()), "run.json not found", class = "photoq_error")

  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file)
  expect_s3_class(expect_invisible(plot(run)), "ggplot")
  expect_s3_class(plot_history(run$path), "ggplot")
  grDevices::dev.off()
  expect_gt(file.size(file), 1000)
})

test_that("plot_history() writes a PNG", {
  skip_if_no_photoq()
  skip_if_no_package("png")
  file <- tempfile(fileext = ".png")
  expect_s3_class(expect_invisible(plot_history(photoq_fixture()$run, file = file)), "ggplot")
  img <- png::readPNG(file)
  expect_equal(dim(img)[1:2], c(round(6.4 * 120), 9 * 120))
})

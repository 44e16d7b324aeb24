test_that("library(photoq) is instant and works without Python", {
  out <- run_r(c(
    attach_photoq_code(),
    "cat('python started:', reticulate::py_available(initialize = FALSE), '\\n')",
    "cat('available:', photoq_available(), '\\n')",
    "r <- tryCatch(build_model(), error = function(e) e)",
    "cat('class:', class(r), '\\n')",
    "cat(conditionMessage(r), '\\n')"
  ), env = c("PHOTOQ_PYTHON=/nonexistent/python", "RETICULATE_PYTHON="))
  text <- paste(out, collapse = "\n")
  expect_match(text, "python started: FALSE", fixed = TRUE)
  expect_match(text, "available: FALSE", fixed = TRUE)
  expect_match(text, "photoq_no_python", fixed = TRUE)
  expect_match(text, "PHOTOQ_PYTHON is set to /nonexistent/python, which does not exist", fixed = TRUE)
  expect_match(text, "install_photoq()", fixed = TRUE)
  expect_match(text, "RETICULATE_PYTHON", fixed = TRUE)
  expect_no_match(text, "Traceback")
})

test_that("a Python without pyphotoq gets the same advice", {
  skip_if_no_photoq()
  # the same interpreter, where a stub shadows pyphotoq
  bare <- tempfile("bare-python-")
  dir.create(bare)
  writeLines("raise ImportError('hidden for this test')", file.path(bare, "pyphotoq.py"))
  out <- run_r(c(
    attach_photoq_code(),
    "r <- tryCatch(build_model(), error = function(e) e)",
    "cat('class:', class(r), '\\n')",
    "cat(conditionMessage(r), '\\n')"
  ), env = c(paste0("PHOTOQ_PYTHON=", photoq_config()$python), paste0("PYTHONPATH=", bare)))
  text <- paste(out, collapse = "\n")
  expect_match(text, "photoq_no_python", fixed = TRUE)
  expect_match(text, "cannot import pyphotoq", fixed = TRUE)
  expect_match(text, "hidden for this test", fixed = TRUE)
  expect_match(text, "install_photoq()", fixed = TRUE)
})

test_that("photoq_available() and photoq_config() describe the Python in use", {
  skip_if_no_photoq()
  expect_true(photoq_available())
  config <- photoq_config()
  expect_s3_class(config, "photoq_config")
  expect_true(config$available)
  expect_null(config$problem)
  expect_true(file.exists(config$python))
  expect_match(config$pyphotoq, "^[0-9]+\\.[0-9]+")
  expect_true(dir.exists(config$pyphotoq_path))
  if (nzchar(Sys.getenv("PHOTOQ_PYTHON"))) {
    expect_equal(normalizePath(config$python), normalizePath(Sys.getenv("PHOTOQ_PYTHON")))
  }
  expect_output(print(config), "pyphotoq:")
  # an ordinary R session: Python does not host R, nothing is kept alive
  expect_false(photoq:::.photoq$hosted)
  expect_false(photoq:::python_hosts_r() && !reticulate::py_available())
})

test_that("the pair Debian users have works: reticulate 1.28 with numpy 2", {
  skip_if_no_photoq()
  config <- photoq_config()
  # record what was tested
  expect_true(is.character(config$numpy) && nzchar(config$numpy))
  expect_true(utils::packageVersion("reticulate") >= "1.28")
  fixture <- photoq_fixture()
  result <- evaluate_model(fixture$run)
  scores <- score_photos(fixture$run, fixture$photos)
  checkpoints <- evaluate_checkpoints(fixture$run, splits = "validation")
  # nothing that reaches R is a Python object: it could not be read with numpy 2
  expect_true(is_plain_r(unclass(result)))
  expect_true(is_plain_r(unclass(scores)))
  expect_true(is_plain_r(unclass(checkpoints)))
  expect_type(result$predictions$score, "double")
  expect_type(scores$score, "double")
  if (numeric_version(config$numpy) >= "2" && utils::packageVersion("reticulate") < "1.41") {
    # the incompatibility photoq works around: a numpy array stays a Python
    # object in R, and an R matrix cannot become one
    np <- reticulate::import("numpy", convert = FALSE)
    expect_s3_class(reticulate::py_to_r(np$arange(3L)), "python.builtin.object")
    expect_error(reticulate::r_to_py(matrix(1:4, 2)), "NumPy")
  }
})

test_that("Python exceptions become clean R errors without a traceback", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  err <- expect_error(evaluate_model(fixture$run, split = "holidays"), class = "photoq_error")
  expect_s3_class(err, "photoq_python_error")
  expect_equal(conditionMessage(err),
               "Unknown split 'holidays': use one of train, validation, test")
  expect_no_match(conditionMessage(err), "Traceback|File \"|pyphotoq\\.errors")
  expect_equal(deparse(conditionCall(err)[[1]]), "evaluate_model")
  # a non-PhotoqError keeps its type, still without traceback
  err <- expect_error(make_demo_photos(tempfile(), n_photos = 1), class = "photoq_error")
  expect_match(conditionMessage(err), "^ValueError: n_photos must be at least 2")
  expect_no_match(conditionMessage(err), "Traceback")
})

test_that("out-of-range values go to Python, whose one-line error R shows", {
  skip_if_no_photoq()
  # R converts (a whole number to an integer) and passes the value on; the ranges are Python's
  cases <- list(
    list(quote(build_cache("a", "b", width = 10)), "width must be at least 64, got 10"),
    list(quote(evaluate_model("r", threshold = 2)), "threshold must be in [0, 1], got 2.0"),
    list(quote(ask_photos("r", "p", n = 0)), "n must be at least 1, got 0"),
    list(quote(culling(keep_precision = 0)), "keep_precision must be in (0, 1], got 0.0"),
    list(quote(culling(best = -1)), "best must be at least 0, got -1.0"),
    list(quote(labelling(positive = "bad")), "positive and negative must differ, both are 'bad'"),
    list(quote(splitting(method = "random")), "method must be one of scene, burst, hash, got 'random'"),
    list(quote(splitting(fractions = c(0.5, 0.5))),
         "fractions must be three non-negative numbers (train, validation, test) summing to 1, got [0.5, 0.5]"),
    list(quote(recipe(learning_rate = 0)), "learning_rate must be above 0, got 0.0"),
    list(quote(recipe("fastest")), "name must be a recipe, one of original, two-branch, two-view, got 'fastest'")
  )
  for (case in cases) {
    err <- expect_error(eval(case[[1]]), class = "photoq_python_error")
    expect_identical(conditionMessage(err), case[[2]], label = deparse(case[[1]]))
  }
})

test_that("arguments are checked and converted in R", {
  expect_error(build_cache("a", "b", width = 96.5), "`width` must be one whole number",
               class = "photoq_error")
  expect_error(train_model("a", "b", batches = "many"), "`batches` must be one whole number")
  expect_error(build_cache("a", "b", progress = NA), "`progress` must be TRUE or FALSE")
  expect_error(evaluate_model("r", checkpoint = "first"), "`checkpoint` must be")
  expect_error(make_demo_photos(tempfile(), size = c(128, 96, 3)), "`size` must be c\\(width, height\\)")
  expect_error(build_cache("a", "b", split = 0.5), "`split` must be splitting")
  expect_error(build_cache("a", "b", labels = c("xmp", "folders")), "`labels` must be labelling")
  expect_error(recipe(model_options = list(16)), "named list")
  expect_error(train_model("a", "b", recipe = 2), "`recipe` must be")
  expect_error(build_model("original", 0, 16), "must be named")
  expect_identical(photoq:::check_whole(5, "x"), 5L)
  expect_identical(photoq:::check_whole(NULL, "x", null_ok = TRUE), NULL)
  expect_identical(photoq:::check_path("~/x", "p"), normalizePath("~/x", winslash = "/", mustWork = FALSE))
  expect_identical(unclass(photoq:::check_strings("test", "s")), "[\"test\"]")
  expect_identical(unclass(photoq:::check_strings(NULL, "s")), "[]")
  expect_identical(photoq:::local_package("pyphotoq"), "pyphotoq")
})

test_that("review() serves the page, takes decisions and returns them", {
  skip_if_no_photoq()
  fixture <- photoq_fixture()
  shoot <- make_demo_photos(tempfile("shoot"), n_photos = 8, size = c(128, 96), seed = 7)
  table <- tempfile(fileext = ".csv")
  # what a browser would do, from a Python thread once the page is served: read the shoot, reject
  # its first photo, press Done
  reticulate::py_run_string(paste(
    "import json, threading, urllib.request",
    "seen = {}",
    "def press(url):",
    "    base, token = url.split('/?token=')",
    "    def work():",
    "        shoot = json.loads(urllib.request.urlopen(base + '/api/shoot?token=' + token).read())",
    "        seen['photos'] = len(shoot['photos'])",
    "        for path, body in (('api/decide', {'id': 0, 'key': 'x'}), ('done', {'learn': False})):",
    "            urllib.request.urlopen(urllib.request.Request(base + '/' + path + '?token=' + token,",
    "                                                          data=json.dumps(body).encode()))",
    "    threading.Thread(target=work).start()",
    sep = "\n"
  ))
  main <- reticulate::import_main(convert = FALSE)
  opened <- NULL
  decided <- review(fixture$run, shoot, table = table, progress = FALSE, browser = function(url) {
    opened <<- url
    main$press(url)
    invisible(NULL)
  })
  expect_match(opened, "^http://127\\.0\\.0\\.1:[0-9]+/\\?token=")
  expect_equal(reticulate::py_to_r(main$seen)$photos, 8)
  expect_s3_class(decided, "data.frame")
  expect_equal(nrow(decided), 8)
  expect_equal(decided$decision[1], "reject")
  expect_equal(decided$rule[1], "you (review page)")
  expect_equal(utils::read.csv(table)$decision[1], "reject")
  expect_error(review(fixture$run, shoot, port = -1), "^port must be at least 0, got -1$")
})

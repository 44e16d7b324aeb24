# photoq quick start in R: the whole workflow on demo photos, line for line the same as
# examples/quickstart.py. Usage: Rscript examples/quickstart.R [output folder]
# (needs photoq installed, e.g. R CMD INSTALL ., and Python with pyphotoq: see ?install_photoq)
library(photoq)

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "quickstart-r"

photos <- make_demo_photos(file.path(out, "photos"), n_photos = 160, size = c(256, 192), seed = 0)
cache <- build_cache(photos, file.path(out, "cache"), width = 128)
run <- train_model(cache, file.path(out, "run"), batches = 400)  # the default recipe, a shorter run
print(run)
result <- evaluate_model(run, split = "test")
print(result)
plot_roc(result, file = file.path(out, "roc.png"))
plot_history(run, file = file.path(out, "history.png"))
contact_sheet(result, file = file.path(out, "contact_sheet.png"))
new_trip <- make_demo_photos(file.path(out, "new_trip"), n_photos = 20, size = c(256, 192), seed = 1)
scores <- score_photos(run, new_trip)
write.csv(scores, file.path(out, "new_trip_scores.csv"), row.names = FALSE)
cat(sum(scores$decision == "keep"), "of", nrow(scores), "new photos to keep\n")

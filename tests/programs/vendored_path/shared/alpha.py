WHERE = "top level"

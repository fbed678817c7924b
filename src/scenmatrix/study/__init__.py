"""What a study is: vocabularies, the model and its generated shapes, the kinds of entry and what refers to what,
its tables and the diff of two versions. No I/O; imports nothing of scenmatrix but `errors` and `bulk`."""

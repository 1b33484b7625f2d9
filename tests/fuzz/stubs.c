/* Symbols the fuzz builds need from outside the sources they compile: none so far. */

package store

// MedianOfBins exposes medianOfBins to the black-box tests.
var MedianOfBins = medianOfBins

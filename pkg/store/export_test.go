package store

// MedianOfBins exposes medianOfBins to the black-box tests.
var MedianOfBins = medianOfBins

// ISOMicros and ISOTS expose the Go timestamp reader and the SQL pattern it mirrors.
var ISOMicros = isoMicros

const ISOTS = isoTS

// GeoCoord exposes the Go reader of geo_ip coordinates.
var GeoCoord = geoCoord

// Package charttest gives tests the Airflow chart the examples lock: from
// the user's chart cache (make chart seeds it) or from the shared archive
// at ../shared/charts, offline; a test that needs it skips in one line
// when neither has it.
package charttest

// Package capacity computes what an environment asks of its cluster: the
// requests and limits of every pod the platform runs (the Airflow chart's
// components and the objects ydpgen renders), the headroom left on the
// declared nodes, and what that headroom buys in concurrent DataSurface job
// pods. The lint rules about sizing and the capacity command and chart share
// these numbers, so a warning and the chart never disagree.
package capacity

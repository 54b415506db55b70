module lvscare/bench/idle_connection_cost

go 1.19

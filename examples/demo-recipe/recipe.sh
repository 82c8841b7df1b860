# Each line that is not a comment is one workflow step, run as `sh -c LINE`.
# A step reads /input_dir/ (the previous step's output) and writes /output_dir/.

# Keep the stations north of the Arctic Circle (latitude >= 66.56).
awk -F, 'NR == 1 || $2 >= 66.56' /input_dir/stations.csv > /output_dir/arctic_stations.csv
# Turn them into GeoJSON points, keeping the CSV too.
cp /input_dir/arctic_stations.csv /output_dir/ && awk -F, 'BEGIN { printf "{\"type\":\"FeatureCollection\",\"features\":[" } NR > 1 { if (n++) printf ","; printf "{\"type\":\"Feature\",\"properties\":{\"name\":\"%s\",\"mean_temp_c\":%s},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%s,%s]}}", $1, $4, $3, $2 } END { print "]}" }' /input_dir/arctic_stations.csv > /output_dir/arctic_stations.geojson

using System.Text.Json;
using Fanout.Plans;

namespace Fanout.Tests.Plans;

public sealed class InputValuesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fanout-inputs-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        File.WriteAllText(Path.Combine(_dir.FullName, name), text);
        return name;
    }

    private IReadOnlyDictionary<string, JsonElement> Parse(params string[] args) => InputValues.Parse(args, _dir.FullName);

    private IReadOnlyList<PlanDiagnostic> Problems(params string[] args) => Assert.Throws<PlanException>(() => Parse(args)).Diagnostics;

    [Fact]
    public void Value_that_is_valid_json_is_parsed()
    {
        var inputs = Parse("count=3", "tags=[\"a\",\"b\"]", "on=true", "quoted=\"42\"");
        Assert.Equal(JsonValueKind.Number, inputs["count"].ValueKind);
        Assert.Equal(2, inputs["tags"].GetArrayLength());
        Assert.Equal(JsonValueKind.True, inputs["on"].ValueKind);
        Assert.Equal("42", inputs["quoted"].GetString());
    }

    [Fact]
    public void Value_that_is_not_json_is_a_string()
    {
        var inputs = Parse("business=Acme Bakery", "empty=", "eq=a=b");
        Assert.Equal("Acme Bakery", inputs["business"].GetString());
        Assert.Equal("", inputs["empty"].GetString());
        Assert.Equal("a=b", inputs["eq"].GetString());
    }

    [Fact]
    public void At_file_value_is_the_text_of_the_file()
    {
        Write("brief.md", "# Brief\nBread.\n");
        Assert.Equal("# Brief\nBread.\n", Parse("brief=@brief.md")["brief"].GetString());
    }

    [Fact]
    public void At_file_value_of_json_or_yaml_is_parsed()
    {
        Write("pages.json", "[\"home\", \"menu\"]");
        Write("style.yaml", "colour: blue\nsize: 3\n");
        var inputs = Parse("pages=@pages.json", "style=@style.yaml");
        Assert.Equal(2, inputs["pages"].GetArrayLength());
        Assert.Equal(3, inputs["style"].GetProperty("size").GetInt32());
    }

    [Fact]
    public void Double_at_is_a_literal_at()
    {
        Assert.Equal("@handle", Parse("user=@@handle")["user"].GetString());
    }

    [Fact]
    public void At_file_alone_gives_one_input_per_property_and_later_values_win()
    {
        Write("inputs.yaml", "business: Acme\npages: [home]\n");
        var inputs = Parse("@inputs.yaml", "business=Other");
        Assert.Equal("Other", inputs["business"].GetString());
        Assert.Equal(1, inputs["pages"].GetArrayLength());
    }

    [Fact]
    public void Input_file_that_is_not_an_object_is_rejected()
    {
        Write("list.json", "[1]");
        Assert.Equal("--input @list.json: the file must hold an object whose properties are inputs, got array", Assert.Single(Problems("@list.json")).Message);
    }

    [Fact]
    public void Input_file_must_be_json_or_yaml()
    {
        Assert.StartsWith("--input @notes.txt: a file of inputs must be .json, .yaml or .yml", Assert.Single(Problems("@notes.txt")).Message);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        Assert.StartsWith("--input brief: cannot read 'nope.md' (no such file: ", Assert.Single(Problems("brief=@nope.md")).Message);
    }

    [Fact]
    public void Syntax_error_in_an_input_file_has_its_location()
    {
        Write("bad.json", "{\n  \"a\": [1, 2\n}\n");
        var d = Assert.Single(Problems("@bad.json"));
        Assert.Equal("bad.json", d.Location!.File);
        Assert.StartsWith("invalid JSON", d.Message);
    }

    [Fact]
    public void Argument_without_a_name_is_rejected_and_every_bad_one_is_listed()
    {
        var problems = Problems("justtext", "=value", "ok=1");
        Assert.Equal(
            ["--input 'justtext' must be NAME=VALUE, NAME=@FILE or @FILE", "--input '=value' must be NAME=VALUE, NAME=@FILE or @FILE"],
            problems.Select(p => p.Message));
    }
}

from local_stack.provision import NOT_PROVISIONED_LOCALLY, Provisioner
from local_stack.template import ProvisionedResource, Resolver, load_template, references


def resolver() -> Resolver:
    result = Resolver("stack", "us-west-2", {"Name": "demo"}, {"IsDemo": {
        "Fn::Equals": [{"Ref": "Name"}, "demo"]}})
    result.resources["Queue"] = ProvisionedResource("https://q", {"Arn": "arn:q"})
    return result


def test_intrinsics_resolve_like_cloudformation() -> None:
    r = resolver()
    assert r.resolve({"Ref": "Queue"}) == "https://q"
    assert r.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:q"
    assert r.resolve({"Fn::Sub": "${Name}-${AWS::Region}-${Queue.Arn}"}) == "demo-us-west-2-arn:q"
    assert r.resolve({"Fn::Sub": ["${X}!", {"X": {"Ref": "Name"}}]}) == "demo!"
    assert r.resolve({"Fn::If": ["IsDemo", "yes", "no"]}) == "yes"
    assert r.resolve({"Fn::Join": ["/", ["a", {"Ref": "Name"}]]}) == "a/demo"


def test_references_find_dependencies() -> None:
    value = {"A": {"Ref": "X"}, "B": [{"Fn::GetAtt": ["Y", "Arn"]}], "C": {"Fn::Sub": "${Z.Arn}"}}
    assert set(references(value)) == {"X", "Y", "Z"}


def test_every_template_resource_type_has_a_local_provisioner() -> None:
    handled = set(Provisioner("http://unused", "us-west-2", "s")._handlers)
    declared = {spec["Type"] for spec in load_template()["Resources"].values()}
    assert declared - handled - set(NOT_PROVISIONED_LOCALLY) == set()
